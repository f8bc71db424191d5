package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Gradient parity with the reference Wan-VAE under torch autograd (golden/vae_grad/small, made by
 * tools/golden/make_vae_grad_cases.py): forward outputs and the gradient of every parameter, relative error
 * {@code max|ours - ref| / max|ref|} per tensor at most 1e-3.
 */
class VaeGradGoldenTest {
    private static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    /** {@code [c, T, H, W]} channel-first to {@code [T, H, W, c]}. */
    private static float[] channelsLast(Tensor t) {
        return WanVaeTrainingTest.channelsLast(t);
    }

    private static double rel(float[] ours, float[] ref) {
        return Golden.relError(ours, 0, ref, 0, ref.length);
    }

    private static void check(VaeKernels k, String kind) throws Exception {
        Path dir = Golden.dir("vae_grad/small");
        VaeConfig cfg = VaeConfig.fromJson(dir.resolve("vae_config.json"));
        VaeWeights w = WanVaeCheckpoint.load(dir.resolve("vae.safetensors"), cfg);
        try (StateDict in = SafeTensors.load(dir.resolve("inputs.safetensors"));
             StateDict exp = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            Tensor video = in.tensor("video");
            WanVaeTraining tr = new WanVaeTraining(w, video.dim(1), video.dim(2), video.dim(3));
            tr.forward(k, channelsLast(video), channelsLast(in.tensor("eps")));
            double worstFwd = Math.max(rel(tr.recon(), channelsLast(exp.tensor("recon"))),
                    Math.max(rel(tr.mu(), channelsLast(exp.tensor("mu"))), rel(tr.logvar(), channelsLast(exp.tensor("log_var")))));
            assertTrue(worstFwd <= 1e-4, kind + ": forward differs from the reference by " + worstFwd);
            VaeWeights g = VaeWeights.zeros(cfg);
            tr.backward(k, channelsLast(in.tensor("d_recon")), channelsLast(in.tensor("d_mu")),
                    channelsLast(in.tensor("d_log_var")), g);
            // the gradient twin saved with the reference names and layouts, compared tensor by tensor
            Path tmp = Files.createTempFile("vae-grad", ".safetensors");
            try {
                WanVaeCheckpoint.save(g, tmp);
                try (StateDict ours = SafeTensors.load(tmp)) {
                    double worst = 0;
                    String worstName = "";
                    int n = 0;
                    for (String name : ours.names()) {
                        Tensor ref = exp.tensor("grad." + name), o = ours.tensor(name);
                        assertArrayEquals(ref.shape(), o.shape(), name);
                        double e = rel(o.data(), ref.data());
                        if (e > worst) {
                            worst = e;
                            worstName = name;
                        }
                        n++;
                    }
                    assertEquals(146, n, "every parameter of the golden model");
                    System.out.printf("vae gradients vs reference (%s kernels): %d tensors, worst rel err %.2e (%s)%n",
                            kind, n, worst, worstName);
                    assertTrue(worst <= 1e-3, kind + ": gradient of " + worstName + " off by " + worst);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    @Test
    void gradientsMatchReferenceScalar() throws Exception {
        check(VaeKernels.scalar(PAR), "scalar");
    }

    @Test
    void gradientsMatchReferenceFast() throws Exception {
        check(VaeKernels.fast(PAR), "fast");
    }
}
