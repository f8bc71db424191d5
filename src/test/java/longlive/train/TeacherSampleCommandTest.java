package longlive.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code train teacher-sample}: a teacher's sample for a prompt, decoded to an MP4 of 1 + 4(F − 1) frames. */
class TeacherSampleCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesTheDecodedSample() throws Exception {
        Path teacher = TinyTeacher.make(dir);
        Path out = dir.resolve("t.mp4");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        System.setOut(new PrintStream(buf));
        try {
            rc = new CommandLine(new TeacherSampleCommand()).execute("--teacher", teacher.toString(), "--prompt",
                    "a red circle moves left", "--latent-frames", "3", "--steps", "4", "-o", out.toString(),
                    "--png-dir", dir.resolve("png").toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, buf.toString());
        assertTrue(buf.toString().contains("9 video frames 32x32"), buf.toString());
        assertTrue(Files.size(out) > 0);
        try (var pngs = Files.list(dir.resolve("png"))) {
            assertEquals(9, pngs.count());
        }
    }
}
