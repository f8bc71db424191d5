package longlive.vae;

import java.util.Arrays;
import java.util.List;
import longlive.kernel.Parallel;

/**
 * Streaming VAE decode, the direct convolution against the im2col one, side by side in one process: rounds
 * alternate the two (so a noisy neighbour hits both alike), each round a fresh decoder decoding LATENT_FRAMES
 * frames of random latents with random weights; prints the median wall and CPU frames/s of each and their ratio.
 * Not a test; run by hand (the README's "VAE decode" table):
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:target/longlive-all.jar
 * longlive.vae.VaeDecodeBench DIM Z SIZE [LATENT_FRAMES] [ROUNDS]}.
 */
public final class VaeDecodeBench {
    private VaeDecodeBench() {}

    public static void main(String[] a) {
        int dim = Integer.parseInt(a[0]), z = Integer.parseInt(a[1]), size = Integer.parseInt(a[2]);
        int frames = a.length > 3 ? Integer.parseInt(a[3]) : 24, rounds = a.length > 4 ? Integer.parseInt(a[4]) : 5;
        VaeConfig c = new VaeConfig(dim, z, List.of(1, 2, 4, 4), 2, List.of(), List.of(false, true, true));
        VaeWeights w = VaeWeights.random(c, 1);
        float[] mean = new float[z], std = new float[z];
        Arrays.fill(std, 1f);
        int lh = size / 8;
        float[] lat = new float[z * lh * lh];
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        for (int i = 0; i < lat.length; i++) lat[i] = (float) (r.nextDouble() * 2 - 1);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        try (Parallel par = Parallel.allCores()) {
            VaeKernels direct = VaeKernels.fast(par), im2col = direct.withIm2colConvs();
            double[][] wall = new double[2][rounds], cpu = new double[2][rounds];
            int videoFrames = 0;
            for (int round = -1; round < rounds; round++) { // round -1 warms the JIT for both
                for (int v = 0; v < 2; v++) {
                    StreamingVaeDecoder dec = new StreamingVaeDecoder(w, new LatentStats(mean, std), lh, lh,
                            v == 0 ? direct : im2col);
                    float[] out = new float[4 * dec.frameSize()];
                    long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                    int vf = 0;
                    for (int f = 0; f < frames; f++) vf += dec.decodeNext(lat, 0, out, 0);
                    if (round < 0) continue;
                    videoFrames = vf;
                    wall[v][round] = vf / ((System.nanoTime() - t0) / 1e9);
                    cpu[v][round] = vf / ((os.getProcessCpuTime() - c0) / 1e9 / par.threads());
                }
            }
            System.out.printf("VAE decode dim %d z %d, %dx%d, %d video frames per round, %d rounds, %d threads, load %.1f%n",
                    dim, z, size, size, videoFrames, rounds, par.threads(), os.getSystemLoadAverage());
            double dw = median(wall[0]), iw = median(wall[1]), dc = median(cpu[0]), ic = median(cpu[1]);
            System.out.printf("  direct: %.1f frames/s wall (%.1f on idle cores by CPU time)%n", dw, dc);
            System.out.printf("  im2col: %.1f frames/s wall (%.1f on idle cores by CPU time)%n", iw, ic);
            System.out.printf("  direct / im2col: %.2f wall, %.2f CPU%n", dw / iw, dc / ic);
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
