package longlive.vae;

/** The four resampling layers of the Wan-VAE ({@code Resample.mode} in wan/modules/vae.py). */
public enum ResampleMode {
    /** Nearest 2x in H, W, then a 3x3 conv to half the channels. */
    UPSAMPLE_2D,
    /** A causal (3,1,1) time conv to twice the channels whose halves become two frames, then as UPSAMPLE_2D. */
    UPSAMPLE_3D,
    /** Zero-pad right/bottom by one, 3x3 conv with stride 2. */
    DOWNSAMPLE_2D,
    /** As DOWNSAMPLE_2D, then a (3,1,1) time conv with stride 2 over [previous chunk's last frame, chunk]. */
    DOWNSAMPLE_3D;

    public boolean upsamples() {
        return this == UPSAMPLE_2D || this == UPSAMPLE_3D;
    }

    public boolean temporal() {
        return this == UPSAMPLE_3D || this == DOWNSAMPLE_3D;
    }
}
