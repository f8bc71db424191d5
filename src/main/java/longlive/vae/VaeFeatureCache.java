package longlive.vae;

import java.util.List;

/**
 * The streaming state of a VAE encoder or decoder: for every causal convolution the frames it must look back on,
 * typed by layer (not the reference's flat {@code feat_cache} list walked with a running index). Carrying one of
 * these from call to call makes chunk-by-chunk decoding equal to decoding the whole clip at once.
 *
 * @param input  history of the model's first conv ({@code conv1})
 * @param layers one entry per layer of the model, in execution order
 * @param head   history of the output conv ({@code head.2})
 */
public record VaeFeatureCache(TimeHistory input, List<LayerCache> layers, TimeHistory head) {

    /** The cache of one layer. */
    public sealed interface LayerCache permits Residual, Resampling, Stateless {
        void clear();
    }

    /** A residual block: the histories of its two 3x3x3 convs (inputs taken after norm and SiLU). */
    public record Residual(TimeHistory conv1, TimeHistory conv2) implements LayerCache {
        @Override
        public void clear() {
            conv1.clear();
            conv2.clear();
        }
    }

    /**
     * A resample layer. {@code started} is false until its first chunk: the reference's {@code 'Rep'} marker for
     * {@code upsample3d} (the first chunk skips the time conv and is NOT remembered) and the first-chunk pass-through
     * of {@code downsample3d} (which IS remembered). {@code time} is null for the 2d modes.
     */
    public static final class Resampling implements LayerCache {
        final TimeHistory time;
        boolean started;

        Resampling(TimeHistory time) {
            this.time = time;
        }

        @Override
        public void clear() {
            started = false;
            if (time != null) time.clear();
        }
    }

    /** Attention works within a frame and keeps nothing. */
    public enum Stateless implements LayerCache {
        INSTANCE;

        @Override
        public void clear() {}
    }

    public VaeFeatureCache {
        layers = List.copyOf(layers);
    }

    /** Forgets everything: the next call starts a new video (the reference's {@code clear_cache}). */
    public void clear() {
        input.clear();
        for (LayerCache c : layers) c.clear();
        head.clear();
    }
}
