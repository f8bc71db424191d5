package longlive.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** Reads a JSON config file into a config record, so every error message names the file it came from. */
public final class JsonConfigs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonConfigs() {}

    /**
     * Parses {@code file} and hands the tree to {@code parse} (a config record's {@code fromJson(JsonNode)}).
     * Unreadable JSON becomes an IOException, a rejected value an IllegalArgumentException; both start with the file.
     */
    public static <T> T read(Path file, Function<JsonNode, T> parse) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IOException(file + ": not readable JSON: " + e.getMessage(), e);
        }
        try {
            return parse.apply(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
