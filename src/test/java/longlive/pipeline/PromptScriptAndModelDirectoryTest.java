package longlive.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import longlive.kernel.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptScriptAndModelDirectoryTest {

    @Test
    void switchPointsInSecondsAndLatentFrames(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("s.jsonl");
        Files.writeString(f, """
                {"prompts": ["a", "b", "c"], "switch_seconds": [2.0625, 5.0], "length_seconds": 8}

                {"prompts": ["x", "y"], "switch_frames": [9]}
                {"prompts": ["p", "q", "r"]}
                """);
        PromptScript s1 = PromptScript.read(f, 1, 100);
        // 2.0625 s = video frame 33 -> latent 1 + 32/4 = 9; 5 s = frame 80 -> latent 1 + 79/4 = 20
        assertArrayEquals(new int[] {9, 20}, s1.switchLatentFrames());
        assertEquals(8.0, s1.lengthSeconds());
        assertArrayEquals(new int[] {9}, PromptScript.read(f, 2, 100).switchLatentFrames());
        assertArrayEquals(new int[] {10, 20}, PromptScript.read(f, 3, 30).switchLatentFrames());   // even split
        assertEquals(1, s1.segmentAt(19));
        assertEquals(2, s1.segmentAt(20));
    }

    @Test
    void badLinesAreRefusedWithTheirLineNumber(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, "{\"prompts\": [\"a\"]}\n{\"prompts\": [\"a\", \"b\"], \"switch_seconds\": [1, 2]}\n");
        var e = assertThrows(IllegalArgumentException.class, () -> PromptScript.read(f, 1, 10));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(f, "{\"prompts\": [\"a\"]}\nnot json\n");
        e = assertThrows(IllegalArgumentException.class, () -> PromptScript.read(f, 1, 10));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(f, "{\"prompts\": [\"a\"]}\n");
        e = assertThrows(IllegalArgumentException.class, () -> PromptScript.read(f, 2, 10));
        assertTrue(e.getMessage().contains("--line 2"), e.getMessage());
    }

    @Test
    void lengthConversions() {
        assertEquals(1, PromptScript.videoFrames(1));
        assertEquals(81, PromptScript.videoFrames(21));
        assertEquals(21, PromptScript.latentFramesForSeconds(5, 16));   // 80 frames -> 21 latents = 81 frames
        assertEquals(1, PromptScript.latentFramesForSeconds(1.0 / 16, 16));
        assertEquals(2, PromptScript.latentFramesForSeconds(2.0 / 16, 16));
    }

    @Test
    void missingAndBadModelFilesAreNamed(@TempDir Path tmp) throws IOException {
        Path d;
        try (Parallel par = Parallel.serial()) {
            d = RandomModel.write(tmp.resolve("m"), "tiny", 1, 0, 0, par);
        }
        assertNotNull(ModelDirectory.open(d));
        Files.move(d.resolve("vae/model.safetensors"), d.resolve("vae/moved"));
        assertMessage(d, "vae/model.safetensors");
        Files.move(d.resolve("vae/moved"), d.resolve("vae/model.safetensors"));

        Files.writeString(d.resolve("inference.json"), "{\"local_attn_size\": 0}");
        assertMessage(d, "local_attn_size");
        Files.writeString(d.resolve("inference.json"), "{}");

        String dit = Files.readString(d.resolve("dit/config.json"));
        Files.writeString(d.resolve("dit/config.json"), "{\"dim\": 32");
        assertMessage(d, "dit/config.json");
        Files.writeString(d.resolve("dit/config.json"), dit);
        Files.delete(d.resolve("text/tokenizer.json"));
        assertMessage(d, "text/tokenizer.json");
        assertMessage(tmp.resolve("nowhere"), "not found");
    }

    @Test
    void partsThatDoNotFitAreRefused(@TempDir Path tmp) throws IOException {
        Path d;
        try (Parallel par = Parallel.serial()) {
            d = RandomModel.write(tmp.resolve("m"), "tiny", 1, 0, 0, par);
        }
        Files.writeString(d.resolve("model.json"), "{\"video_height\": 40, \"video_width\": 64}");
        assertMessage(d, "multiples of 16x16");
        Files.writeString(d.resolve("model.json"), "{\"video_height\": 64, \"video_width\": 64}");
        Files.writeString(d.resolve("vae/latent_stats.json"), "{\"mean\": [0, 0], \"std\": [1, 1]}");
        assertMessage(d, "latent_stats.json has 2 channels");
    }

    @Test
    void weightsOfTheWrongShapeAreRefusedWhenLoaded(@TempDir Path tmp) throws IOException {
        Path a, b;
        try (Parallel par = Parallel.serial()) {
            a = RandomModel.write(tmp.resolve("a"), "tiny", 1, 0, 0, par);
            b = RandomModel.write(tmp.resolve("b"), "tiny", 1, 0, 0, par);
            // a VAE file that is not a VAE
            Files.copy(b.resolve("text/model.safetensors"), a.resolve("vae/model.safetensors"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            ModelDirectory md = ModelDirectory.open(a);
            Exception e = assertThrows(RuntimeException.class, () -> new VideoPipeline(md, par));
            assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        }
    }

    static void assertMessage(Path d, String part) {
        Exception e = assertThrows(Exception.class, () -> ModelDirectory.open(d));
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }
}
