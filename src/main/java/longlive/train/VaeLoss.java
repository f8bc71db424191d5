package longlive.train;

/**
 * The stage-1 VAE objective: L1 reconstruction (mean over pixels) plus a small KL term toward N(0, 1), written as
 * {@code L = mean|recon - x| + klWeight * sum_latent KL / pixels}.
 *
 * <p>Why this form: the Wan2.1 report trains its VAE with L1 reconstruction, KL and LPIPS losses weighted
 * 3 : 3e-6 : 3 (then a GAN stage); with both terms taken as sums over the clip (the latent-diffusion convention),
 * that is a KL weight of 1e-6 relative to L1, which is the default here. LPIPS and the GAN are out of scope. The KL
 * is so small that the latents stay essentially deterministic and their scale free; the per-channel latent
 * mean/std measured after training normalize them for the DiT (the role of Wan's 16 published constants).
 *
 * @param loss total, {@code l1 + klWeight * kl / pixels}
 * @param l1   mean absolute error over pixels (values in [-1, 1])
 * @param mse  mean squared error (for PSNR)
 * @param kl   KL summed over latent elements
 */
public record VaeLoss(double loss, double l1, double mse, double kl) {

    /** PSNR in dB for pixels in [-1, 1] (peak-to-peak 2): {@code 10 log10(4 / mse)}. */
    public double psnr() {
        return 10 * Math.log10(4.0 / Math.max(mse, 1e-12));
    }

    /**
     * Computes the loss and ACCUMULATES its gradients scaled by {@code scale} (e.g. 1 / batch) into
     * {@code dRecon}, {@code dMu}, {@code dLogvar} (each nullable: skipped).
     *
     * @param recon  {@code [n]} reconstruction
     * @param x      {@code [n]} target
     * @param mu     {@code [m]}
     * @param logvar {@code [m]}
     */
    public static VaeLoss compute(float[] recon, float[] x, int n, float[] mu, float[] logvar, int m, double klWeight,
                                  double scale, float[] dRecon, float[] dMu, float[] dLogvar) {
        return compute(recon, x, n, mu, logvar, m, klWeight, 0, scale, dRecon, dMu, dLogvar);
    }

    /** As {@link #compute(float[], float[], int, float[], float[], int, double, double, double, double, float[], float[], float[])} without the chroma term. */
    public static VaeLoss compute(float[] recon, float[] x, int n, float[] mu, float[] logvar, int m, double klWeight,
                                  double mseWeight, double scale, float[] dRecon, float[] dMu, float[] dLogvar) {
        return compute(recon, x, n, mu, logvar, m, klWeight, mseWeight, 0, scale, dRecon, dMu, dLogvar);
    }

    /**
     * As above with an extra {@code mseWeight * mean (recon - x)^2} term and a chroma term
     * {@code chromaWeight * mean_pixels (ΔCb² + ΔCr²)} on channels-last RGB ({@code n} a multiple of 3; BT.601
     * colour-difference weights). Why the squared error: L1 alone pulls every pixel toward the clip's median, which on
     * Shapes-world clips is the background; the squared error weighs a small object's large residuals enough to leave
     * that plateau. Why chroma: the world's backgrounds are dark or pale, nearly grey, and cover most pixels, so a
     * per-pixel RGB loss is served first by luminance and a model learns colour last (measured: 1000 steps give
     * desaturated reconstructions); adherence is judged on colour.
     */
    public static VaeLoss compute(float[] recon, float[] x, int n, float[] mu, float[] logvar, int m, double klWeight,
                                  double mseWeight, double chromaWeight, double scale, float[] dRecon, float[] dMu,
                                  float[] dLogvar) {
        if (chromaWeight != 0 && n % 3 != 0) throw new IllegalArgumentException("chroma term: " + n + " values are not RGB pixels");
        double l1 = 0, se = 0, ch = 0;
        float g = (float) (scale / n), g2 = (float) (2 * mseWeight * scale / n);
        for (int i = 0; i < n; i++) {
            double d = (double) recon[i] - x[i];
            l1 += Math.abs(d);
            se += d * d;
            if (dRecon != null) dRecon[i] += (d > 0 ? g : d < 0 ? -g : 0f) + g2 * (float) d;
        }
        if (chromaWeight != 0) {
            int pixels = n / 3;
            double gc = 2 * chromaWeight * scale / pixels;
            for (int i = 0; i < n; i += 3) {
                double dr = (double) recon[i] - x[i], dg = (double) recon[i + 1] - x[i + 1], db = (double) recon[i + 2] - x[i + 2];
                double cb = CB_R * dr + CB_G * dg + CB_B * db, cr = CR_R * dr + CR_G * dg + CR_B * db;
                ch += cb * cb + cr * cr;
                if (dRecon != null) {
                    dRecon[i] += (float) (gc * (cb * CB_R + cr * CR_R));
                    dRecon[i + 1] += (float) (gc * (cb * CB_G + cr * CR_G));
                    dRecon[i + 2] += (float) (gc * (cb * CB_B + cr * CR_B));
                }
            }
            ch /= pixels;
        }
        double kl = 0, w = klWeight * scale / n;
        for (int i = 0; i < m; i++) {
            double lv = Math.clamp(logvar[i], -30.0, 20.0), v = Math.exp(lv);
            kl += 0.5 * ((double) mu[i] * mu[i] + v - 1 - lv);
            if (dMu != null) dMu[i] += (float) (w * mu[i]);
            if (dLogvar != null && logvar[i] >= -30f && logvar[i] <= 20f) dLogvar[i] += (float) (w * 0.5 * (v - 1));
        }
        return new VaeLoss(l1 / n + mseWeight * se / n + chromaWeight * ch + klWeight * kl / n, l1 / n, se / n, kl);
    }

    // BT.601 colour differences of an RGB difference: Cb = −0.1687 R − 0.3313 G + 0.5 B, Cr = 0.5 R − 0.4187 G − 0.0813 B
    private static final double CB_R = -0.168736, CB_G = -0.331264, CB_B = 0.5, CR_R = 0.5, CR_G = -0.418688, CR_B = -0.081312;
}
