package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import longlive.kernel.Parallel;
import longlive.vae.LatentStats;
import longlive.vae.VaeKernels;
import longlive.vae.VaeWeights;
import longlive.vae.WanVae;
import longlive.world.ClipStream;
import longlive.world.Script;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encoding training clips once: threads that take whole clips give the serial result, in order; the file is reused. */
class LatentClipsTest {
    @TempDir
    Path dir;

    @Test
    void threadsEncodeTheSameLatentsInOrderAndTheFileIsReused() throws Exception {
        ClipStream.Options opt = new ClipStream.Options(32, 32, 17, 0.0, Script.DEFAULT_FPS);
        ClipBatchSource src = new ClipBatchSource(9, opt, 0.0);
        VaeWeights w = VaeWeights.random(TinyTeacher.VAE, 4);
        LatentStats stats = new LatentStats(new float[] {0, 0.1f, 0, 0}, new float[] {1, 0.5f, 1, 2});
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        LatentClips serial, split;
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            serial = LatentClips.loadOrEncode(dir.resolve("a.bin"), "o", src::clip, 5,
                    new WanVae(w, VaeKernels.fast(one)), stats, one, quiet);
            split = LatentClips.loadOrEncode(dir.resolve("b.bin"), "o", src::clip, 5,
                    new WanVae(w, VaeKernels.fast(two)), stats, two, quiet);
        }
        assertEquals(5, split.count());
        float[] a = new float[serial.clipSize()], b = new float[split.clipSize()];
        for (int i = 0; i < 5; i++) {
            serial.copy(i, a);
            split.copy(i, b);
            assertArrayEquals(a, b, 1e-6f, "clip " + i);
            assertEquals(src.clip(i).sample().caption(), split.caption(i));
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        LatentClips again = LatentClips.loadOrEncode(dir.resolve("b.bin"), "o", src::clip, 5,
                new WanVae(w, VaeKernels.fast(Parallel.serial())), stats, Parallel.serial(), new PrintStream(log));
        assertTrue(log.toString().contains("reusing"), log.toString());
        again.copy(4, a);
        assertArrayEquals(b, a);
    }
}
