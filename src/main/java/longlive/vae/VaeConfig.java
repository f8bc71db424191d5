package longlive.vae;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import longlive.io.JsonConfigs;
import java.util.ArrayList;
import java.util.List;

/**
 * The Wan-VAE architecture ({@code WanVAE_} in wan/modules/vae.py), mirroring the keys of a {@code vae_config.json}:
 * {@code dim, z_dim, dim_mult, num_res_blocks, attn_scales, temperal_downsample} (the reference's spelling).
 *
 * <p>Derived sizes are computed here so no other file hard-codes 96, 384 or the 4x/8x factors:
 * {@link #encoderDims()}, {@link #decoderDims()}, {@link #temperalUpsample()}, {@link #spatialFactor()},
 * {@link #temporalFactor()}.
 *
 * @param dim                 base channel count (real: 96)
 * @param zDim                latent channels (real: 16); the encoder emits {@code 2 * zDim} (mu, log_var)
 * @param dimMult             channel multiplier per resolution level (real: [1, 2, 4, 4])
 * @param numResBlocks        residual blocks per encoder level; the decoder has one more per level
 * @param attnScales          resolution scales (1, 1/2, ...) that get an attention block after each residual block
 * @param temperalDownsample  per level transition, whether the encoder also halves time (real: [F, T, T]); the
 *                            decoder upsamples in time in the reverse order
 */
public record VaeConfig(int dim, int zDim, List<Integer> dimMult, int numResBlocks, List<Double> attnScales,
                        List<Boolean> temperalDownsample) {

    /** Wan2.1's VAE ({@code _video_vae}: dim 96, z 16, [1, 2, 4, 4], 2 blocks, no attention scales, [F, T, T]). */
    public static final VaeConfig WAN_2_1 = new VaeConfig(96, 16, List.of(1, 2, 4, 4), 2, List.of(),
            List.of(false, true, true));

    /** The tiny golden-test configuration (dims 4/8, same structure as the real one). */
    public static final VaeConfig TINY = new VaeConfig(4, 4, List.of(1, 2, 2, 2), 2, List.of(),
            List.of(false, true, true));

    public VaeConfig {
        positive("dim", dim);
        positive("z_dim", zDim);
        if (numResBlocks < 1) throw new IllegalArgumentException("VaeConfig: num_res_blocks must be >= 1, got " + numResBlocks);
        if (dimMult == null || dimMult.isEmpty()) throw new IllegalArgumentException("VaeConfig: dim_mult must not be empty");
        // The reference decoder halves a level's input channels after an upsample only for levels 1..3
        // (Decoder3d: `if i == 1 or i == 2 or i == 3`), so more than 4 levels would not build there either.
        if (dimMult.size() > 4)
            throw new IllegalArgumentException("VaeConfig: dim_mult has " + dimMult.size()
                    + " levels; the reference decoder supports at most 4");
        for (int i = 0; i < dimMult.size(); i++) positive("dim_mult[" + i + "]", dimMult.get(i));
        dimMult = List.copyOf(dimMult);
        attnScales = List.copyOf(attnScales == null ? List.of() : attnScales);
        if (temperalDownsample == null || temperalDownsample.size() != dimMult.size() - 1)
            throw new IllegalArgumentException("VaeConfig: temperal_downsample must have " + (dimMult.size() - 1)
                    + " entries (one per level transition of dim_mult " + dimMult + "), got " + temperalDownsample);
        temperalDownsample = List.copyOf(temperalDownsample);
    }

    private static void positive(String key, int v) {
        if (v < 1) throw new IllegalArgumentException("VaeConfig: '" + key + "' must be >= 1, got " + v);
    }

    /** Encoder widths {@code dim * [1] + dim_mult}: level i maps {@code dims[i] -> dims[i+1]}. */
    public int[] encoderDims() {
        int[] d = new int[dimMult.size() + 1];
        d[0] = dim;
        for (int i = 0; i < dimMult.size(); i++) d[i + 1] = dim * dimMult.get(i);
        return d;
    }

    /** Decoder widths {@code dim * [dim_mult[-1]] + reversed(dim_mult)}. */
    public int[] decoderDims() {
        return decoderDimsOf(dim, dimMult);
    }

    private static int[] decoderDimsOf(int dim, List<Integer> mult) {
        int n = mult.size();
        int[] d = new int[n + 1];
        d[0] = dim * mult.get(n - 1);
        for (int i = 0; i < n; i++) d[i + 1] = dim * mult.get(n - 1 - i);
        return d;
    }

    /** The decoder's temporal upsampling per level transition: {@code temperal_downsample} reversed. */
    public List<Boolean> temperalUpsample() {
        List<Boolean> r = new ArrayList<>(temperalDownsample);
        java.util.Collections.reverse(r);
        return List.copyOf(r);
    }

    /** Pixels per latent pixel along H and W: {@code 2^(levels - 1)} (real: 8). */
    public int spatialFactor() {
        return 1 << (dimMult.size() - 1);
    }

    /** Video frames per latent frame after the first: {@code 2^(temporal resamples)} (real: 4). */
    public int temporalFactor() {
        int n = 0;
        for (boolean b : temperalDownsample) if (b) n++;
        return 1 << n;
    }

    /** Video frames decoded from {@code latentFrames} latent frames: {@code 1 + temporalFactor * (F - 1)}. */
    public int videoFrames(int latentFrames) {
        return latentFrames == 0 ? 0 : 1 + temporalFactor() * (latentFrames - 1);
    }

    /** Reads a {@code vae_config.json}; every key is required (the reference constructor has no usable defaults). */
    public static VaeConfig fromJson(Path file) throws IOException {
        return JsonConfigs.read(file, VaeConfig::fromJson);
    }

    /** Builds a config from a parsed {@code vae_config.json} object. */
    public static VaeConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("VaeConfig: vae_config.json is not a JSON object");
        List<Integer> mult = new ArrayList<>();
        for (JsonNode v : array(n, "dim_mult")) mult.add(intValue(v, "dim_mult"));
        List<Double> scales = new ArrayList<>();
        for (JsonNode v : array(n, "attn_scales")) {
            if (!v.isNumber()) throw new IllegalArgumentException("VaeConfig: 'attn_scales' must hold numbers, got " + v);
            scales.add(v.doubleValue());
        }
        List<Boolean> down = new ArrayList<>();
        for (JsonNode v : array(n, "temperal_downsample")) {
            if (!v.isBoolean())
                throw new IllegalArgumentException("VaeConfig: 'temperal_downsample' must hold true/false, got " + v);
            down.add(v.booleanValue());
        }
        return new VaeConfig(intValue(required(n, "dim"), "dim"), intValue(required(n, "z_dim"), "z_dim"), mult,
                intValue(required(n, "num_res_blocks"), "num_res_blocks"), scales, down);
    }

    private static JsonNode required(JsonNode n, String key) {
        if (!n.has(key)) throw new IllegalArgumentException("VaeConfig: vae_config.json has no '" + key + "'");
        return n.get(key);
    }

    private static JsonNode array(JsonNode n, String key) {
        JsonNode v = required(n, key);
        if (!v.isArray()) throw new IllegalArgumentException("VaeConfig: '" + key + "' must be a list, got " + v);
        return v;
    }

    private static int intValue(JsonNode v, String key) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt())
            throw new IllegalArgumentException("VaeConfig: '" + key + "' must be an integer, got " + v);
        return v.intValue();
    }
}
