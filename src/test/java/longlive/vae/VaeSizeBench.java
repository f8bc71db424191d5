package longlive.vae;

import java.util.List;
import longlive.kernel.Parallel;

/**
 * Streaming decode speed of reduced-width Wan-VAE configs (for choosing the shipped size) and the time of one
 * training step (forward + backward) at a clip size. Not a test; run by hand:
 * {@code java --add-modules jdk.incubator.vector -cp target-x/classes:target-x/test-classes longlive.vae.VaeSizeBench
 * DIM Z NUM_RES_BLOCKS SIZE [LATENT_FRAMES] [train]}.
 */
public final class VaeSizeBench {
    private VaeSizeBench() {}

    public static void main(String[] a) {
        int dim = Integer.parseInt(a[0]), z = Integer.parseInt(a[1]), nres = Integer.parseInt(a[2]);
        int size = Integer.parseInt(a[3]), frames = a.length > 4 ? Integer.parseInt(a[4]) : 24;
        VaeConfig c = new VaeConfig(dim, z, List.of(1, 2, 4, 4), nres, List.of(), List.of(false, true, true));
        VaeWeights w = VaeWeights.random(c, 1);
        float[] mean = new float[z], std = new float[z];
        java.util.Arrays.fill(std, 1f);
        int lh = size / 8;
        try (Parallel par = Parallel.allCores()) {
            VaeKernels k = VaeKernels.fast(par);
            if (a.length > 5 && a[5].equals("train")) {
                WanVaeTraining tr = new WanVaeTraining(w, 17, size, size);
                float[] x = new float[(int) tr.videoShape().size()], n = new float[(int) tr.latentShape().size()];
                VaeWeights g = VaeWeights.zeros(c);
                for (int i = 0; i < 4; i++) {
                    long t0 = System.nanoTime();
                    tr.forward(k, x, n);
                    long t1 = System.nanoTime();
                    tr.backward(k, tr.recon(), null, null, g);
                    long t2 = System.nanoTime();
                    System.out.printf("train step 17x%dx%d: forward %.2f s, backward %.2f s%n", size, size,
                            (t1 - t0) / 1e9, (t2 - t1) / 1e9);
                }
                return;
            }
            StreamingVaeDecoder dec = new StreamingVaeDecoder(w, new LatentStats(mean, std), lh, lh, k);
            float[] lat = new float[z * lh * lh], out = new float[4 * dec.frameSize()];
            java.util.SplittableRandom r = new java.util.SplittableRandom(2);
            for (int i = 0; i < lat.length; i++) lat[i] = (float) (r.nextDouble() * 2 - 1);
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int rep = 0; rep < 2; rep++) {  // first pass warms the JIT
                dec.reset();
                long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                int vf = 0;
                for (int f = 0; f < frames; f++) vf += dec.decodeNext(lat, 0, out, 0);
                double s = (System.nanoTime() - t0) / 1e9, cpu = (os.getProcessCpuTime() - c0) / 1e9;
                // cpu / threads: the wall time the same work takes when this process has the cores to itself
                if (rep == 1)
                    System.out.printf("dim %d z %d res %d %dx%d: %.2f GFLOP/latent frame, %d frames: wall %.3f s = %.1f frames/s; "
                                    + "CPU %.3f s = %.1f frames/s on %d idle cores; load %.1f%n",
                            dim, z, nres, size, size, dec.flopsPerLatentFrame() / 1e9, vf, s, vf / s, cpu,
                            vf / (cpu / par.threads()), par.threads(), os.getSystemLoadAverage());
            }
        }
    }
}
