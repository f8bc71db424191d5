package longlive.world;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes scripts as JSONL, one script per line. A plain LongLive line {@code {"prompts": [...]}} parses
 * (as a prompt-only script); our extensions are the optional fields {@code switch_seconds} (or LongLive-style
 * {@code switch_frames}, in latent frames), {@code length_seconds}, {@code fps} and {@code world}.
 */
public final class ScriptIo {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ScriptIo() {
    }

    public static List<Script> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("script file not found: " + file);
        List<Script> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            try {
                out.add(parse(line));
            } catch (IllegalArgumentException | JsonProcessingException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + " holds no script lines");
        return out;
    }

    public static void write(Path file, List<Script> scripts) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Script s : scripts) sb.append(toLine(s)).append('\n');
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }

    public static Script parse(String line) throws JsonProcessingException {
        JsonNode n = JSON.readTree(line);
        if (n == null || !n.isObject()) throw new IllegalArgumentException("a script line must be a JSON object");
        JsonNode p = n.get("prompts");
        if (p == null || !p.isArray()) throw new IllegalArgumentException("missing \"prompts\" array");
        List<String> prompts = new ArrayList<>();
        for (JsonNode s : p) prompts.add(s.asText());
        int fps = n.path("fps").asInt(Script.DEFAULT_FPS);
        List<Double> switches = new ArrayList<>();
        if (n.has("switch_seconds")) {
            for (JsonNode s : n.get("switch_seconds")) switches.add(s.asDouble());
        } else if (n.has("switch_frames")) {
            for (JsonNode s : n.get("switch_frames")) switches.add((double) Script.firstVideoFrameOfLatent(s.asInt()) / fps);
        }
        double length = n.path("length_seconds").asDouble(0);
        ScriptWorld world = n.has("world") ? parseWorld(n.get("world")) : null;
        return new Script(prompts, switches, length, fps, world);
    }

    private static ScriptWorld parseWorld(JsonNode w) {
        List<Segment> segs = new ArrayList<>();
        for (JsonNode s : required(w, "segments")) {
            JsonNode b = required(s, "background");
            JsonNode cols = required(b, "colors");
            NamedColor c1 = NamedColor.fromId(cols.get(0).asText());
            NamedColor c2 = cols.size() > 1 ? NamedColor.fromId(cols.get(1).asText()) : c1;
            Background bg = new Background(BackgroundKind.fromId(required(b, "kind").asText()), c1, c2, b.path("panning").asBoolean(false));
            List<ObjectSpec> objs = new ArrayList<>();
            for (JsonNode o : required(s, "objects")) {
                objs.add(new ObjectSpec(o.path("id").asInt(objs.size()), Shape.fromId(required(o, "shape").asText()),
                        NamedColor.fromId(required(o, "color").asText()), SizeClass.fromId(required(o, "size").asText()),
                        Motion.fromId(o.path("motion").asText("still")), o.path("x").asDouble(0.5), o.path("y").asDouble(0.5),
                        o.path("heading").asDouble(45)));
            }
            segs.add(new Segment(new SceneSpec(bg, objs), s.path("cut").asBoolean(false)));
        }
        return new ScriptWorld(w.path("seed").asLong(0), w.path("aspect").asDouble(1.0), segs);
    }

    private static JsonNode required(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("world: missing \"" + field + "\"");
        return v;
    }

    public static String toLine(Script s) {
        ObjectNode n = JSON.createObjectNode();
        ArrayNode p = n.putArray("prompts");
        s.prompts().forEach(p::add);
        if (!s.switchSeconds().isEmpty()) {
            ArrayNode sw = n.putArray("switch_seconds");
            s.switchSeconds().forEach(sw::add);
            ArrayNode lf = n.putArray("switch_frames");
            s.switchLatentFrames().forEach(lf::add);
        }
        if (s.lengthSeconds() > 0) n.put("length_seconds", s.lengthSeconds());
        n.put("fps", s.fps());
        if (s.world() != null) {
            ObjectNode w = n.putObject("world");
            w.put("seed", s.world().seed());
            w.put("aspect", s.world().aspect());
            ArrayNode segs = w.putArray("segments");
            for (Segment seg : s.world().segments()) {
                ObjectNode sn = segs.addObject();
                if (seg.cut()) sn.put("cut", true);
                Background b = seg.scene().background();
                ObjectNode bn = sn.putObject("background");
                bn.put("kind", b.kind().id());
                ArrayNode cols = bn.putArray("colors");
                cols.add(b.first().id());
                if (b.kind() != BackgroundKind.SOLID) cols.add(b.second().id());
                if (b.panning()) bn.put("panning", true);
                ArrayNode objs = sn.putArray("objects");
                for (ObjectSpec o : seg.scene().objects()) {
                    ObjectNode on = objs.addObject();
                    on.put("id", o.id());
                    on.put("shape", o.shape().id());
                    on.put("color", o.color().id());
                    on.put("size", o.size().id());
                    on.put("motion", o.motion().id());
                    on.put("x", round(o.x()));
                    on.put("y", round(o.y()));
                    on.put("heading", round(o.heading()));
                }
            }
        }
        return n.toString();
    }

    /** Positions are written with 4 decimals; generated scripts use such values so a round trip is exact. */
    static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
