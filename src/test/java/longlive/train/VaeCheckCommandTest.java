package longlive.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import longlive.io.WanVaeCheckpoint;
import longlive.vae.VaeWeights;
import longlive.world.ScriptGenerator;
import longlive.world.ScriptIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code train vae-check}: a script through a VAE into an MP4 with its PSNR; bad lines refused by name. */
class VaeCheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesTheReconstructionAndRefusesAMissingLine() throws Exception {
        Path vae = dir.resolve("run/vae");
        Files.createDirectories(vae);
        WanVaeCheckpoint.save(VaeWeights.random(TinyTeacher.VAE, 3), vae.resolve("model.safetensors"));
        Files.writeString(vae.resolve("vae_config.json"), VaeTraining.configJson(TinyTeacher.VAE).toString());
        Files.writeString(vae.resolve("latent_stats.json"), "{\"mean\": [0, 0, 0, 0], \"std\": [1, 1, 1, 1]}");
        Path script = dir.resolve("s.jsonl");
        ScriptIo.write(script, List.of(ScriptGenerator.generate(4, new ScriptGenerator.Options(1.5, 2, 1.0, 16, 0.0, false, 1))));
        Path out = dir.resolve("r.mp4");

        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        System.setOut(new PrintStream(buf));
        try {
            rc = new CommandLine(new VaeCheckCommand()).execute("--vae", dir.resolve("run").toString(), "--size", "32",
                    script.toString(), "-o", out.toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, buf.toString());
        assertTrue(buf.toString().contains("PSNR"), buf.toString());
        // 1.5 s at 16 fps -> 21 frames (1 + 4k): one full second and a partial one.
        assertTrue(buf.toString().matches("(?s).*PSNR by second: [0-9.]+ [0-9.]+\\R.*"), buf.toString());
        assertTrue(Files.size(out) > 0);

        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new VaeCheckCommand());
        cl.setErr(new PrintWriter(err));
        int bad = cl.execute("--vae", dir.resolve("run").toString(), "--line", "2", script.toString(), "-o", out.toString());
        assertNotEquals(0, bad);
        assertTrue(err.toString().contains("--line 2"), err.toString());
    }
}
