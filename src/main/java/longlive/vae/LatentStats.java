package longlive.vae;

/**
 * Per-channel latent normalization of the Wan-VAE wrapper: the DiT works on {@code z = (mu - mean) / std};
 * decoding undoes it with {@code z / (1 / std) + mean} (written that way to match the reference's float rounding).
 *
 * @param mean {@code [z_dim]}
 * @param std  {@code [z_dim]}, all positive
 */
public record LatentStats(float[] mean, float[] std) {

    /** The 16 published constants of {@code WanVAE} / {@code WanVAEWrapper}. */
    public static final LatentStats WAN_2_1 = new LatentStats(
            new float[] {-0.7571f, -0.7089f, -0.9113f, 0.1075f, -0.1745f, 0.9653f, -0.1517f, 1.5508f,
                    0.4134f, -0.0715f, 0.5517f, -0.3632f, -0.1922f, -0.9497f, 0.2503f, -0.2921f},
            new float[] {2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
                    3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f});

    public LatentStats {
        if (mean.length != std.length)
            throw new IllegalArgumentException("LatentStats: mean has " + mean.length + " channels, std " + std.length);
        for (int i = 0; i < std.length; i++)
            if (!(std[i] > 0) || !Float.isFinite(mean[i]))
                throw new IllegalArgumentException("LatentStats: channel " + i + " has mean " + mean[i] + ", std " + std[i]);
        mean = mean.clone();
        std = std.clone();
    }

    /** Reads a {@code latent_stats.json} ({@code {"mean": [z], "std": [z]}}); a bad file is refused naming it. */
    public static LatentStats fromJson(java.nio.file.Path file) throws java.io.IOException {
        return longlive.io.JsonConfigs.read(file, n -> new LatentStats(floats(n, "mean"), floats(n, "std")));
    }

    private static float[] floats(com.fasterxml.jackson.databind.JsonNode n, String key) {
        com.fasterxml.jackson.databind.JsonNode a = n.get(key);
        if (a == null || !a.isArray()) throw new IllegalArgumentException("latent stats: \"" + key + "\" must be an array of numbers");
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isNumber()) throw new IllegalArgumentException("latent stats: " + key + "[" + i + "] is not a number");
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }

    public int channels() {
        return mean.length;
    }

    /** {@code 1 / std} rounded to float, the reference's {@code scale[1]}. */
    float invStd(int c) {
        return 1f / std[c];
    }
}
