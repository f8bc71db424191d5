package longlive.train;

/**
 * AdamW hyper-parameters (torch.optim.AdamW semantics: decoupled weight decay {@code p *= 1 - lr·wd} before the
 * Adam update, bias-corrected moments, {@code eps} added to the bias-corrected square root).
 * LongLive trains with betas (0, 0.999), weight decay 0.01 ({@link #longLive()}).
 */
public record AdamWConfig(double beta1, double beta2, double eps, double weightDecay) {
    public AdamWConfig {
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
    }

    /** torch.optim.AdamW defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static AdamWConfig torchDefaults() {
        return new AdamWConfig(0.9, 0.999, 1e-8, 0.01);
    }

    /** LongLive / Self-Forcing DMD: betas (0, 0.999), eps 1e-8, weight decay 0.01. */
    public static AdamWConfig longLive() {
        return new AdamWConfig(0.0, 0.999, 1e-8, 0.01);
    }
}
