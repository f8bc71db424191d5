package longlive.train;

import java.util.Arrays;
import longlive.world.Renderer;
import longlive.world.Script;
import longlive.world.WorldSim;

/**
 * Per-latent-cell weights of the teacher's flow loss that favour the cells the world's objects cover
 * ({@code train teacher --object-weight λ}): {@code w = 1 + λ · coverage}, where coverage is the largest share of a
 * pixel the objects cover inside the cell's {@code cell × cell} pixels and its video frames (latent frame 0 is video
 * frame 0, latent frame l ≥ 1 video frames 4l − 3 … 4l, as the VAE's causal time compression groups them).
 *
 * <p>Why: at 64 × 64 a tiny object is one or two of a frame's 64 latent cells, so the plain mean over cells gives the
 * background nearly all of the loss, and the students drew backgrounds and colours but seldom shapes or motion. Not
 * the reference's (LongLive trains on real video, where nothing says where the subject is); λ = 0 is its loss.
 * The weight depends on the clean clip, which the model does not see, so a large λ also tilts the model's guess
 * towards "an object here" wherever the noise hides whether there is one.
 */
public final class ObjectWeights {
    private ObjectWeights() {
    }

    /**
     * Weights {@code [latentFrames, size / cell, size / cell]} for a clip of {@code script}'s first
     * {@code 1 + 4 (latentFrames − 1)} frames rendered at {@code size x size}.
     */
    public static float[] cellWeights(Script script, int size, int latentFrames, int cell, double objectWeight) {
        if (cell < 1 || size % cell != 0) throw new IllegalArgumentException("cell " + cell + " does not divide the clip size " + size);
        if (!(objectWeight >= 0)) throw new IllegalArgumentException("object weight must be >= 0, got " + objectWeight);
        int lh = size / cell, videoFrames = 1 + 4 * (latentFrames - 1);
        float[] maxCov = new float[latentFrames * lh * lh];
        float[] px = new float[size * size];
        WorldSim sim = new WorldSim(script);
        Renderer r = new Renderer(size, size);
        for (int v = 0; v < videoFrames; v++) {
            if (v > 0) sim.advance();
            Arrays.fill(px, 0f);
            r.objectCoverage(sim, px);
            int l = v == 0 ? 0 : (v + 3) / 4, base = l * lh * lh;
            for (int j = 0; j < size; j++)
                for (int i = 0; i < size; i++) {
                    int c = base + (j / cell) * lh + i / cell;
                    maxCov[c] = Math.max(maxCov[c], px[j * size + i]);
                }
        }
        for (int c = 0; c < maxCov.length; c++) maxCov[c] = (float) (1 + objectWeight * maxCov[c]);
        return maxCov;
    }
}
