package longlive.vae;

import longlive.kernel.Parallel;

/**
 * Streaming VAE decode throughput with random weights. Not a test; run by hand:
 * {@code java --add-modules jdk.incubator.vector -Xmx12g -cp target-x/classes:target-x/test-classes
 * longlive.vae.VaeBench tiny|real LATENT_H LATENT_W LATENT_FRAMES [threads]}.
 * Times every {@link StreamingVaeDecoder#decodeNext} call (de-normalization, conv2, decoder, clamp and the
 * channels-last to [3, H, W] conversion; no file output), prints the first call (1 video frame) apart and the
 * later calls (4 video frames each) as seconds per latent frame and video frames per second.
 */
public final class VaeBench {
    private VaeBench() {}

    public static void main(String[] args) {
        VaeConfig c = switch (args[0]) {
            case "tiny" -> VaeConfig.TINY;
            case "real" -> VaeConfig.WAN_2_1;
            default -> throw new IllegalArgumentException("config: tiny or real");
        };
        int h = Integer.parseInt(args[1]), w = Integer.parseInt(args[2]), frames = Integer.parseInt(args[3]);
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : Runtime.getRuntime().availableProcessors();
        VaeWeights weights = VaeWeights.random(c, 1);
        float[] mean = new float[c.zDim()], std = new float[c.zDim()];
        java.util.Arrays.fill(std, 1f);
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        float[] latent = new float[c.zDim() * h * w];
        for (int i = 0; i < latent.length; i++) latent[i] = (float) (r.nextDouble() * 2 - 1);
        try (Parallel par = new Parallel(threads)) {
            StreamingVaeDecoder dec = new StreamingVaeDecoder(weights, new LatentStats(mean, std), h, w,
                    VaeKernels.fast(par));
            float[] out = new float[c.temporalFactor() * dec.frameSize()];
            System.out.printf("vae decode, %s config (dim %d, z %d), latent %dx%d -> video %dx%d, %d threads%n",
                    args[0], c.dim(), c.zDim(), h, w, dec.outHeight(), dec.outWidth(), threads);
            double gflop = dec.flopsPerLatentFrame() / 1e9;
            System.out.printf("  %.1f GFLOP per later latent frame (convs + attention)%n", gflop);
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            double later = 0, best = Double.MAX_VALUE, laterCpu = 0;
            for (int i = 0; i < frames; i++) {
                long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                int n = dec.decodeNext(latent, 0, out, 0);
                double s = (System.nanoTime() - t0) / 1e9, cpu = (os.getProcessCpuTime() - c0) / 1e9;
                System.out.printf("  latent frame %d: %d video frames in %.3f s wall, %.3f s cpu%n", i, n, s, cpu);
                if (i > 0) {
                    laterCpu += cpu;
                    later += s;
                    best = Math.min(best, s);
                }
            }
            if (frames > 1) {
                double per = later / (frames - 1);
                System.out.printf("later latent frames: mean %.3f s (best %.3f s) per latent frame = %.2f video frames/s"
                        + " (best %.2f); %.1f GFLOP/s wall (best %.1f), %.1f GFLOP/s per cpu-second%n", per, best,
                        c.temporalFactor() / per, c.temporalFactor() / best, gflop / per, gflop / best,
                        gflop * (frames - 1) / laterCpu);
            }
        }
    }
}
