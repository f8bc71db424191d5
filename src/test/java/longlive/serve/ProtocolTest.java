package longlive.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Client message parsing and the binary frame header, without a server. */
class ProtocolTest {
    private static String code(String text) {
        return assertThrows(Protocol.ProtocolException.class, () -> Protocol.parse(text, 16384)).code();
    }

    @Test
    void badMessagesAreRefusedWithAStableCode() {
        assertEquals("bad_json", code("{\"type\": \"start\""));
        assertEquals("bad_message", code("[1, 2]"));
        assertEquals("bad_message", code("{\"prompt\": \"no type\"}"));
        assertEquals("unknown_type", code("{\"type\": \"rewind\"}"));
        assertEquals("empty_prompt", code("{\"type\": \"start\"}"));
        assertEquals("empty_prompt", code("{\"type\": \"switch\", \"prompt\": \" \\t\"}"));
        assertEquals("bad_field", code("{\"type\": \"switch\", \"prompt\": 5}"));
        assertEquals("bad_field", code("{\"type\": \"start\", \"prompt\": \"x\", \"seed\": 1.5}"));
        assertEquals("bad_field", code("{\"type\": \"start\", \"prompt\": \"x\", \"seconds\": -1}"));
        assertEquals("bad_field", code("{\"type\": \"start\", \"script\": {\"nope\": 1}}"));
        assertEquals("empty_prompt", code("{\"type\": \"start\", \"script\": {\"prompts\": [\"a\", \"\"]}}"));
        assertEquals("message_too_large", code("{\"type\": \"switch\", \"prompt\": \"" + "é".repeat(9000) + "\"}"));
    }

    @Test
    void goodMessagesParse() throws Exception {
        Protocol.Start s = assertInstanceOf(Protocol.Start.class,
                Protocol.parse("{\"type\": \"start\", \"prompt\": \"  a cat \", \"seed\": \"12\", \"seconds\": 3}", 16384));
        assertEquals("a cat", s.prompt());
        assertEquals(12L, s.seed());
        assertEquals(3.0, s.seconds());
        assertNull(s.script());
        Protocol.Start sc = assertInstanceOf(Protocol.Start.class, Protocol.parse(
                "{\"type\": \"start\", \"script\": {\"prompts\": [\"a\", \"b\"], \"switch_seconds\": [2]}}", 16384));
        assertEquals("a", sc.prompt());
        assertEquals(List.of("a", "b"), sc.script().prompts());
        assertNull(sc.seed());
        assertEquals(new Protocol.Switch("dog"), Protocol.parse("{\"type\":\"switch\",\"prompt\":\"dog\"}", 16384));
        assertInstanceOf(Protocol.Pause.class, Protocol.parse("{\"type\":\"pause\"}", 16384));
        assertInstanceOf(Protocol.Resume.class, Protocol.parse("{\"type\":\"resume\"}", 16384));
        assertInstanceOf(Protocol.Stop.class, Protocol.parse("{\"type\":\"stop\"}", 16384));
    }

    @Test
    void frameHeaderRoundTrips() {
        ByteBuffer b = ByteBuffer.allocate(Protocol.HEADER_BYTES + 3);
        Protocol.frameHeader(b, 7, 123456, 3, 30865, 832, 480).put(new byte[] {1, 2, 3}).flip();
        assertEquals(0x4C, b.get(0));   // 'L'
        Protocol.FrameHeader h = Protocol.FrameHeader.read(b);
        assertEquals(new Protocol.FrameHeader(7, 123456, 3, 30865, 832, 480), h);
        assertEquals(3, b.remaining(), "the position is left at the image");
        assertThrows(IllegalArgumentException.class, () -> Protocol.FrameHeader.read(ByteBuffer.allocate(40)));
    }
}
