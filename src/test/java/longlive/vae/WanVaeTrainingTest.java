package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import longlive.dit.Golden;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The whole-clip training path: its forward equals the chunked, cached inference (encode in chunks 1, 4, 4 and
 * decode one latent frame at a time), and its backward matches finite differences for every parameter tensor
 * (a few entries each) and for the input video, on a tiny config with attention inside the stacks and 1x1
 * shortcuts.
 */
class WanVaeTrainingTest {
    private static final Parallel PAR = new Parallel(2);
    /** Tiny, structurally the real one, plus attention at scale 1/2 (so every layer kind is inside the stacks). */
    static final VaeConfig CFG = new VaeConfig(4, 3, List.of(1, 2, 2, 2), 1, List.of(0.5), List.of(false, true, true));

    @AfterAll
    static void close() {
        PAR.close();
    }

    /** {@code [3, T, H, W]} -> {@code [T, H, W, 3]}. */
    static float[] channelsLast(Tensor v) {
        int c = v.dim(0), t = v.dim(1), hw = v.dim(2) * v.dim(3);
        float[] out = new float[v.data().length];
        for (int ch = 0; ch < c; ch++)
            for (int f = 0; f < t; f++)
                for (int p = 0; p < hw; p++) out[(f * hw + p) * c + ch] = v.data()[(ch * t + f) * hw + p];
        return out;
    }

    @Test
    void forwardEqualsChunkedInference() {
        Random r = new Random(5);
        VaeWeights w = VaeWeights.random(CFG, 11);
        int t = 9, h = 16, wd = 24;
        float[] video = new float[3 * t * h * wd];
        for (int i = 0; i < video.length; i++) video[i] = (float) (2 * r.nextDouble() - 1);
        Tensor v = Tensor.of(video, 3, t, h, wd);
        VaeKernels k = VaeKernels.fast(PAR);
        LatentStats unit = new LatentStats(new float[CFG.zDim()], filled(CFG.zDim(), 1f));
        Tensor mu = new WanVae(w, k).encode(v, unit);                           // [z, F, h, w]
        WanVaeTraining tr = new WanVaeTraining(w, t, h, wd);
        tr.forward(k, channelsLast(v), null);
        FrameShape ls = tr.latentShape();
        assertEquals(List.of(CFG.zDim(), 3, 2, 3), List.of(mu.dim(0), mu.dim(1), mu.dim(2), mu.dim(3)));
        float[] muRef = channelsLast(mu);
        assertTrue(Golden.relError(tr.mu(), 0, muRef, 0, muRef.length) < 1e-5, "mu differs from WanVae.encode");
        // decode z = mu one latent frame at a time (the streaming decoder) and compare with the clamped recon
        float[] zFirst = new float[(int) ls.size()];
        int zd = CFG.zDim(), lhw = ls.height() * ls.width();
        for (int f = 0; f < ls.frames(); f++)
            for (int p = 0; p < lhw; p++)
                for (int c = 0; c < zd; c++) zFirst[(c * ls.frames() + f) * lhw + p] = tr.z()[(f * lhw + p) * zd + c];
        Tensor dec = new WanVae(w, k).decode(Tensor.of(zFirst, zd, ls.frames(), ls.height(), ls.width()), unit);
        float[] ref = channelsLast(dec), ours = tr.recon().clone();
        for (int i = 0; i < ours.length; i++) ours[i] = Math.clamp(ours[i], -1f, 1f);
        // 3e-5: the two sides sum in different orders (the training convs on im2col tiles, the decoder's on
        // DirectConv); on this clip the scalar and the vector decoders already differ by 9e-6 from each other
        assertTrue(Golden.relError(ours, 0, ref, 0, ref.length) < 3e-5, "recon differs from the streaming decode");
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** Every parameter array of {@code w} in module order. */
    static List<float[]> arrays(VaeWeights w) {
        List<float[]> out = new ArrayList<>();
        w.forEachParameter(new VaeWeights.ParameterVisitor() {
            @Override
            public void conv(VaeWeights.Conv c) {
                out.add(c.weight());
                out.add(c.bias());
            }

            @Override
            public void gamma(float[] g) {
                out.add(g);
            }
        });
        return out;
    }

    @Test
    void backwardMatchesFiniteDifferencesEndToEnd() {
        Random r = new Random(6);
        VaeWeights w = VaeWeights.random(CFG, 12);
        int t = 5, h = 16, wd = 16;
        WanVaeTraining tr = new WanVaeTraining(w, t, h, wd);
        float[] video = GradCheck.random(r, (int) tr.videoShape().size(), 0.6);
        float[] noise = GradCheck.random(r, (int) tr.latentShape().size(), 1);
        float[] pr = GradCheck.random(r, video.length, 1), pm = GradCheck.random(r, noise.length, 1),
                pl = GradCheck.random(r, noise.length, 1);
        VaeKernels k = VaeKernels.scalar(PAR);
        DoubleSupplier loss = () -> {
            tr.forward(k, video, noise);
            return GradCheck.dot(tr.recon(), pr, pr.length) + GradCheck.dot(tr.mu(), pm, pm.length)
                    + 0.3 * GradCheck.dot(tr.logvar(), pl, pl.length);
        };
        loss.getAsDouble();
        VaeWeights g = VaeWeights.zeros(CFG);
        float[] dl = pl.clone();
        for (int i = 0; i < dl.length; i++) dl[i] *= 0.3f;
        tr.backward(k, pr, pm, dl, g);
        List<float[]> ws = arrays(w), gs = arrays(g);
        assertEquals(ws.size(), gs.size());
        Random s = new Random(7);
        double worst = 0;
        for (int i = 0; i < ws.size(); i++)
            worst = Math.max(worst, GradCheck.check("tensor " + i, loss, ws.get(i), gs.get(i), ws.get(i).length, 2,
                    1e-2, 3e-2, s));
        System.out.printf("vae end-to-end gradient check: %d tensors, worst rel err %.2e%n", ws.size(), worst);
    }

    @Test
    void refusesClipsThatDoNotMapToLatents() {
        VaeWeights w = VaeWeights.random(CFG, 1);
        assertThrows(IllegalArgumentException.class, () -> new WanVaeTraining(w, 6, 16, 16));
        assertThrows(IllegalArgumentException.class, () -> new WanVaeTraining(w, 5, 12, 16));
    }
}
