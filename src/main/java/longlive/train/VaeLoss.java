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

    /**
     * As above with an extra {@code mseWeight * mean (recon - x)^2} term. Why: L1 alone pulls every pixel toward the
     * clip's median, which on Shapes-world clips is the background; a small object then contributes almost nothing and
     * training stalls below the mean-colour baseline. The squared error weighs the object's large residuals enough to
     * leave that plateau.
     */
    public static VaeLoss compute(float[] recon, float[] x, int n, float[] mu, float[] logvar, int m, double klWeight,
                                  double mseWeight, double scale, float[] dRecon, float[] dMu, float[] dLogvar) {
        double l1 = 0, se = 0;
        float g = (float) (scale / n), g2 = (float) (2 * mseWeight * scale / n);
        for (int i = 0; i < n; i++) {
            double d = (double) recon[i] - x[i];
            l1 += Math.abs(d);
            se += d * d;
            if (dRecon != null) dRecon[i] += (d > 0 ? g : d < 0 ? -g : 0f) + g2 * (float) d;
        }
        double kl = 0, w = klWeight * scale / n;
        for (int i = 0; i < m; i++) {
            double lv = Math.clamp(logvar[i], -30.0, 20.0), v = Math.exp(lv);
            kl += 0.5 * ((double) mu[i] * mu[i] + v - 1 - lv);
            if (dMu != null) dMu[i] += (float) (w * mu[i]);
            if (dLogvar != null && logvar[i] >= -30f && logvar[i] <= 20f) dLogvar[i] += (float) (w * 0.5 * (v - 1));
        }
        return new VaeLoss(l1 / n + mseWeight * se / n + klWeight * kl / n, l1 / n, se / n, kl);
    }
}
