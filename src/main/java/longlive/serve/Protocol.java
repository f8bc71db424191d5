package longlive.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import longlive.world.Script;
import longlive.world.ScriptIo;

/**
 * The WebSocket protocol (docs/serve.md): client messages are JSON text, parsed and validated here into
 * {@link Message} records; server events are JSON text built with {@link #event}; frames are binary messages made of
 * a fixed {@link #HEADER_BYTES}-byte header ({@link #frameHeader}) and a JPEG.
 *
 * <p>Every problem with a client message becomes a {@link ProtocolException} whose code and text go back to the
 * client in an {@code error} event; nothing else changes.
 */
public final class Protocol {
    public static final ObjectMapper JSON = new ObjectMapper();

    /** Binary frame messages start with these four bytes ("LLVF"). */
    public static final int MAGIC = 0x4C4C5646;
    public static final int VERSION = 1;
    public static final int FORMAT_JPEG = 1;
    public static final int HEADER_BYTES = 28;

    private Protocol() {
    }

    /** A client message. */
    public sealed interface Message permits Start, Switch, Pause, Resume, Stop {}

    /**
     * Start a session. {@code seed} null = the server picks one; {@code seconds} null = run until stopped (capped by
     * the server's --max-session-seconds); {@code script} null = one prompt.
     */
    public record Start(String prompt, Long seed, Double seconds, Script script) implements Message {}

    /** Switch to a new prompt at the next block boundary. */
    public record Switch(String prompt) implements Message {}

    public record Pause() implements Message {}

    public record Resume() implements Message {}

    public record Stop() implements Message {}

    /** A client message that was refused: {@code code} is stable (clients switch on it), the message is for people. */
    public static final class ProtocolException extends Exception {
        private final String code;

        public ProtocolException(String code, String message) {
            super(message);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** Parses one text message; {@code maxBytes} is the size limit (UTF-8 bytes). */
    public static Message parse(String text, int maxBytes) throws ProtocolException {
        int bytes = text.length() > maxBytes / 3 ? text.getBytes(StandardCharsets.UTF_8).length : text.length();
        if (bytes > maxBytes)
            throw new ProtocolException("message_too_large", "message of " + bytes + " bytes refused: the limit is "
                    + maxBytes + " bytes");
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ProtocolException("bad_json", "not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject())
            throw new ProtocolException("bad_message", "a message must be a JSON object with a \"type\" field");
        JsonNode type = n.get("type");
        if (type == null || !type.isTextual())
            throw new ProtocolException("bad_message", "a message needs a \"type\" string (start, switch, pause, resume, stop)");
        return switch (type.asText()) {
            case "start" -> start(n);
            case "switch" -> new Switch(prompt(n, true));
            case "pause" -> new Pause();
            case "resume" -> new Resume();
            case "stop" -> new Stop();
            default -> throw new ProtocolException("unknown_type", "unknown message type '" + clip(type.asText())
                    + "' (expected start, switch, pause, resume or stop)");
        };
    }

    private static Start start(JsonNode n) throws ProtocolException {
        Script script = null;
        JsonNode s = n.get("script");
        if (s != null && !s.isNull()) {
            if (!s.isObject())
                throw new ProtocolException("bad_field", "\"script\" must be an object like {\"prompts\": [...], "
                        + "\"switch_seconds\": [...]}");
            try {
                script = ScriptIo.parse(s.toString());
            } catch (IllegalArgumentException | JsonProcessingException e) {
                throw new ProtocolException("bad_field", "\"script\": " + e.getMessage());
            }
            for (String p : script.prompts())
                if (p.isBlank()) throw new ProtocolException("empty_prompt", "\"script\" holds an empty prompt");
        }
        String prompt = script != null && !n.has("prompt") ? script.prompts().get(0) : prompt(n, true);
        if (script != null && !prompt.equals(script.prompts().get(0)))
            throw new ProtocolException("bad_field", "give either \"prompt\" or \"script\" (its first prompt starts)");
        Long seed = null;
        JsonNode sd = n.get("seed");
        if (sd != null && !sd.isNull()) {
            if (sd.isIntegralNumber() && sd.canConvertToLong()) seed = sd.longValue();
            else if (sd.isTextual() && sd.asText().strip().matches("-?\\d{1,18}")) seed = Long.parseLong(sd.asText().strip());
            else if (!(sd.isTextual() && sd.asText().isBlank()))
                throw new ProtocolException("bad_field", "\"seed\" must be an integer, got " + clip(sd.toString()));
        }
        Double seconds = null;
        JsonNode sec = n.get("seconds");
        if (sec != null && !sec.isNull()) {
            if (!sec.isNumber() || !(sec.doubleValue() > 0))
                throw new ProtocolException("bad_field", "\"seconds\" must be a number > 0, got " + clip(sec.toString()));
            seconds = sec.doubleValue();
        }
        return new Start(prompt, seed, seconds, script);
    }

    private static String prompt(JsonNode n, boolean required) throws ProtocolException {
        JsonNode p = n.get("prompt");
        if (p == null || p.isNull()) {
            if (required) throw new ProtocolException("empty_prompt", "\"prompt\" is missing");
            return null;
        }
        if (!p.isTextual()) throw new ProtocolException("bad_field", "\"prompt\" must be a string");
        if (p.asText().isBlank()) throw new ProtocolException("empty_prompt", "the prompt is empty");
        return p.asText().strip();
    }

    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** A new event object {@code {"type": type, ...}}. */
    public static ObjectNode event(String type) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", type);
        return o;
    }

    /** The {@code error} event. */
    public static String error(String code, String message) {
        ObjectNode o = event("error");
        o.put("code", code);
        o.put("message", message);
        return o.toString();
    }

    /**
     * The binary frame header, big-endian: magic "LLVF", u8 version, u8 format (1 = JPEG), u16 header length,
     * u32 session number, u32 video frame index, u32 prompt index (timeline entry), u32 latent frame index,
     * u16 width, u16 height; the image follows.
     */
    public static ByteBuffer frameHeader(ByteBuffer b, int session, int frame, int prompt, int latent, int width,
                                         int height) {
        b.putInt(MAGIC).put((byte) VERSION).put((byte) FORMAT_JPEG).putShort((short) HEADER_BYTES);
        b.putInt(session).putInt(frame).putInt(prompt).putInt(latent);
        b.putShort((short) width).putShort((short) height);
        return b;
    }

    /** A decoded frame header (clients, tests, the bench). */
    public record FrameHeader(int session, int frame, int prompt, int latent, int width, int height) {
        /** Reads the header at the buffer's position and leaves the position at the image. */
        public static FrameHeader read(ByteBuffer b) {
            if (b.remaining() < HEADER_BYTES || b.getInt() != MAGIC)
                throw new IllegalArgumentException("not a LongLive frame message");
            int version = b.get(), format = b.get(), len = b.getShort() & 0xFFFF;
            if (version != VERSION || format != FORMAT_JPEG || len < HEADER_BYTES)
                throw new IllegalArgumentException("unsupported frame message v" + version + " format " + format);
            FrameHeader h = new FrameHeader(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getShort() & 0xFFFF,
                    b.getShort() & 0xFFFF);
            b.position(b.position() + len - HEADER_BYTES);
            return h;
        }
    }
}
