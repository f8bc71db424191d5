package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanVaeCheckpoint;
import longlive.vae.VaeConfig;
import longlive.vae.VaeWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage 1: the loss and its gradients, and a tiny run that trains, checkpoints, resumes exactly and exports. */
class VaeTrainingTest {
    private static final VaeConfig TINY = new VaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));

    @Test
    void lossGradientsMatchFiniteDifferences() {
        Random r = new Random(1);
        int n = 50, m = 12;
        float[] recon = new float[n], x = new float[n], mu = new float[m], lv = new float[m];
        for (int i = 0; i < n; i++) {
            recon[i] = (float) r.nextGaussian();
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < m; i++) {
            mu[i] = (float) r.nextGaussian();
            lv[i] = (float) r.nextGaussian();
        }
        double kw = 0.3; // large, so the KL part is visible in the check
        float[] dr = new float[n], dm = new float[m], dl = new float[m];
        VaeLoss base = VaeLoss.compute(recon, x, n, mu, lv, m, kw, 0.5, dr, dm, dl);
        double l1 = 0;
        for (int i = 0; i < n; i++) l1 += Math.abs((double) recon[i] - x[i]);
        assertEquals(l1 / n, base.l1(), 1e-9);
        float[][] ps = {recon, mu, lv}, gs = {dr, dm, dl};
        for (int a = 0; a < 3; a++)
            for (int i = 0; i < ps[a].length; i += 3) {
                float o = ps[a][i];
                double h = 1e-3;
                ps[a][i] = (float) (o + h);
                double lp = VaeLoss.compute(recon, x, n, mu, lv, m, kw, 1, null, null, null).loss();
                ps[a][i] = (float) (o - h);
                double lm = VaeLoss.compute(recon, x, n, mu, lv, m, kw, 1, null, null, null).loss();
                ps[a][i] = o;
                double fd = 0.5 * (lp - lm) / (2 * h); // scale 0.5 was passed to the analytic call
                assertEquals(fd, gs[a][i], 1e-3 * Math.max(1, Math.abs(fd)), "tensor " + a + " entry " + i);
            }
        assertEquals(10 * Math.log10(4 / base.mse()), base.psnr(), 1e-12);
    }

    @Test
    void mseAndChromaTermsHaveTheirGradientsAndIgnoreGreyErrors() {
        Random r = new Random(2);
        int n = 51, m = 4;
        float[] recon = new float[n], x = new float[n], mu = new float[m], lv = new float[m];
        for (int i = 0; i < n; i++) {
            recon[i] = (float) r.nextGaussian();
            x[i] = (float) r.nextGaussian();
        }
        float[] dr = new float[n];
        VaeLoss.compute(recon, x, n, mu, lv, m, 0, 0.7, 1.3, 0.5, dr, null, null);
        for (int i = 0; i < n; i++) {
            float o = recon[i];
            double h = 1e-3;
            recon[i] = (float) (o + h);
            double lp = VaeLoss.compute(recon, x, n, mu, lv, m, 0, 0.7, 1.3, 1, null, null, null).loss();
            recon[i] = (float) (o - h);
            double lm = VaeLoss.compute(recon, x, n, mu, lv, m, 0, 0.7, 1.3, 1, null, null, null).loss();
            recon[i] = o;
            double fd = 0.5 * (lp - lm) / (2 * h);
            assertEquals(fd, dr[i], 1e-3 * Math.max(1, Math.abs(fd)), "entry " + i);
        }
        // an error that is the same in R, G and B (grey) has no chroma: the term adds nothing
        float[] grey = x.clone();
        for (int i = 0; i < n; i++) grey[i] += 0.25f * (1 + i / 3 % 4);
        VaeLoss withChroma = VaeLoss.compute(grey, x, n, mu, lv, m, 0, 1, 5, 1, null, null, null);
        VaeLoss without = VaeLoss.compute(grey, x, n, mu, lv, m, 0, 1, 0, 1, null, null, null);
        assertEquals(without.loss(), withChroma.loss(), 1e-9);
    }

    @Test
    void cropIsAWindowOfTheClip() {
        longlive.world.ClipStream s = new longlive.world.ClipStream(3, longlive.world.ClipStream.Options.of(32, 17));
        float[] full = new float[17 * 32 * 32 * 3], win = new float[17 * 8 * 16 * 3];
        VaeTraining.clip(s, 4, full);
        VaeTraining.crop(s, 4, 8, 16, 8, win);  // 8 x 8 window at y 16, x 8
        for (int t = 0; t < 17; t++)
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++)
                    for (int c = 0; c < 3; c++)
                        assertEquals(full[((t * 32 + 16 + y) * 32 + 8 + x) * 3 + c], win[((t * 8 + y) * 8 + x) * 3 + c]);
    }

    private static VaeTraining.Options options(Path out, long steps, long stopAt) {
        return options(out, steps, stopAt, 1e-3, null);
    }

    private static VaeTraining.Options options(Path out, long steps, long stopAt, double lr, Path init) {
        return new VaeTraining.Options(TINY, 32, 0, 17, 1, steps, 0, stopAt, lr, 2, 1e-6, 1.0, 0.5, 1.0, 0.9, 0.0, 5, 2, 1, 1, 2, out, 1,
                init);
    }

    private static float[] read(Path file, String key) {
        try (StateDict sd = SafeTensors.load(file)) {
            return sd.tensor(key).data();
        }
    }

    @Test
    void trainsCheckpointsResumesExactlyAndExports(@TempDir Path tmp) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        VaeTraining.Summary whole = VaeTraining.run(options(tmp.resolve("a"), 3, 0), quiet);
        VaeTraining.Summary stopped = VaeTraining.run(options(tmp.resolve("b"), 3, 2), quiet);   // same schedule, stops at 2
        assertEquals(2, stopped.step());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        VaeTraining.Summary resumed = VaeTraining.run(options(tmp.resolve("b"), 3, 0), new PrintStream(log));
        assertTrue(log.toString().contains("resuming from"), log.toString());
        assertEquals(3, whole.step());
        assertEquals(3, resumed.step());
        Path a = tmp.resolve("a/vae/model.safetensors"), b = tmp.resolve("b/vae/model.safetensors");
        for (String key : List.of("encoder.conv1.weight", "decoder.head.2.bias", "decoder.middle.1.to_qkv.weight"))
            assertArrayEquals(read(a, key), read(b, key), key + ": resumed run differs from the uninterrupted one");
        // the export is a loadable VAE part of a model directory, trained away from its initialisation
        VaeConfig cfg = VaeConfig.fromJson(tmp.resolve("a/vae/vae_config.json"));
        assertEquals(TINY, cfg);
        VaeWeights w = WanVaeCheckpoint.load(a, cfg), init = VaeWeights.random(TINY, 5);
        assertTrue(!java.util.Arrays.equals(w.decoder().head().weight(), init.decoder().head().weight()));
        String stats = Files.readString(tmp.resolve("a/vae/latent_stats.json"));
        assertTrue(stats.contains("\"mean\"") && stats.contains("\"std\""), stats);
        assertEquals(4, whole.latentStd().length);
        assertTrue(Double.isFinite(whole.heldOutPsnrEma()) && whole.heldOutPsnrEma() > 0);
    }

    /** {@code --init}: a new run starts from another run's exported VAE (here with a negligible learning rate, so it
     * exports those weights back), and a VAE of another config is refused by name. */
    @Test
    void initStartsFromAnotherRunsWeightsAndRefusesAnotherConfig(@TempDir Path tmp) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        VaeTraining.run(options(tmp.resolve("a"), 3, 0), quiet);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        VaeTraining.run(options(tmp.resolve("c"), 1, 0, 1e-12, tmp.resolve("a")), new PrintStream(log));
        assertTrue(log.toString().contains("starting from the weights of"), log.toString());
        Path a = tmp.resolve("a/vae/model.safetensors"), c = tmp.resolve("c/vae/model.safetensors");
        for (String key : List.of("encoder.conv1.weight", "decoder.head.2.bias", "decoder.middle.1.to_qkv.weight")) {
            float[] x = read(a, key), y = read(c, key);
            for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6, key + "[" + i + "]: not started from --init");
        }
        // without --init the same run starts elsewhere
        VaeTraining.run(options(tmp.resolve("d"), 1, 0, 1e-12, null), quiet);
        assertTrue(!java.util.Arrays.equals(read(a, "decoder.head.2.bias"), read(tmp.resolve("d/vae/model.safetensors"), "decoder.head.2.bias")));
        // another architecture: refused before anything trains
        Path other = tmp.resolve("other/vae");
        Files.createDirectories(other);
        Files.writeString(other.resolve("vae_config.json"),
                Files.readString(tmp.resolve("a/vae/vae_config.json")).replaceFirst("\"z_dim\"\\s*:\\s*4", "\"z_dim\" : 3"));
        Files.copy(a, other.resolve("model.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VaeTraining.run(options(tmp.resolve("e"), 1, 0, 1e-3, tmp.resolve("other")), quiet));
        assertTrue(e.getMessage().contains("--init") && e.getMessage().contains("z_dim"), e.getMessage());
    }

    /** Clips of a batch spread over threads (each with its own activations and gradients) sum to the serial gradient. */
    @Test
    void threadsSplittingTheBatchGiveTheSerialGradient(@TempDir Path tmp) {
        VaeTraining.Options one = new VaeTraining.Options(TINY, 32, 16, 17, 3, 1, 0, 0, 1e-3, 2, 1e-6, 1.0, 2.0, 1.0, 0.9, 0.0, 5, 2,
                1, 1, 2, tmp, 1, null);
        VaeTraining.Options two = new VaeTraining.Options(TINY, 32, 16, 17, 3, 1, 0, 0, 1e-3, 2, 1e-6, 1.0, 2.0, 1.0, 0.9, 0.0, 5, 2,
                1, 1, 2, tmp, 2, null);
        VaeWeights w = VaeWeights.random(TINY, 5), g1 = VaeWeights.zeros(TINY), g2 = VaeWeights.zeros(TINY);
        longlive.world.ClipStream train = new longlive.world.ClipStream(5, longlive.world.ClipStream.Options.of(32, 17));
        try (longlive.kernel.Parallel p1 = new longlive.kernel.Parallel(1); longlive.kernel.Parallel p2 = new longlive.kernel.Parallel(2)) {
            VaeTraining.ClipWorker[] a = VaeTraining.ClipWorker.team(one, w, g1, longlive.vae.VaeKernels.fast(p1), 16);
            VaeTraining.ClipWorker[] b = VaeTraining.ClipWorker.team(two, w, g2, longlive.vae.VaeKernels.fast(p2), 16);
            assertEquals(1, a.length);
            assertEquals(2, b.length);
            double[] la = VaeTraining.accumulateBatch(one, train, 3, 16, a, p1), lb = VaeTraining.accumulateBatch(two, train, 3, 16, b, p2);
            assertEquals(la[0], lb[0], 1e-9);
            assertEquals(la[1], lb[1], 1e-9);
            List<WanVaeCheckpoint.NamedTensor> ga = WanVaeCheckpoint.tensors(g1), gb = WanVaeCheckpoint.tensors(g2);
            for (int t = 0; t < ga.size(); t++) {
                float[] x = ga.get(t).data(), y = gb.get(t).data();
                float max = 0;
                for (float v : x) max = Math.max(max, Math.abs(v));
                for (int i = 0; i < x.length; i++)
                    assertEquals(x[i], y[i], 1e-5f * max + 1e-12f, ga.get(t).key() + "[" + i + "]");
            }
        }
    }
}
