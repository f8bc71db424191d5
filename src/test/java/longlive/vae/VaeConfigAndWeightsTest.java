package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import longlive.dit.Golden;
import longlive.io.CheckpointException;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanVaeCheckpoint;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config validation, the checkpoint key map, and clear errors for bad weights. */
class VaeConfigAndWeightsTest {

    @Test
    void realPresetHasTheWanSizes() {
        VaeConfig c = VaeConfig.WAN_2_1;
        assertArrayEquals(new int[] {96, 96, 192, 384, 384}, c.encoderDims());
        assertArrayEquals(new int[] {384, 384, 384, 192, 96}, c.decoderDims());
        assertEquals(List.of(true, true, false), c.temperalUpsample());
        assertEquals(8, c.spatialFactor());
        assertEquals(4, c.temporalFactor());
        assertEquals(81, c.videoFrames(21));
        // the tiny golden file (194 tensors) has the real structure
        assertEquals(194, WanVaeCheckpoint.expectedShapes(VaeConfig.TINY).size());
        Map<String, int[]> real = WanVaeCheckpoint.expectedShapes(c);
        assertEquals(194, real.size());
        assertArrayEquals(new int[] {384, 16, 3, 3, 3}, real.get("decoder.conv1.weight"));
        assertArrayEquals(new int[] {192, 384, 3, 3}, real.get("decoder.upsamples.3.resample.1.weight"));
        assertArrayEquals(new int[] {768, 384, 3, 1, 1}, real.get("decoder.upsamples.3.time_conv.weight"));
        assertArrayEquals(new int[] {384, 1, 1}, real.get("decoder.middle.1.norm.gamma"));
        assertArrayEquals(new int[] {32, 384, 3, 3, 3}, real.get("encoder.head.2.weight"));
    }

    @Test
    void goldenConfigParsesToTheTinyPreset() throws Exception {
        assertEquals(VaeConfig.TINY, VaeConfig.fromJson(Golden.dir("vae/decode").resolve("vae_config.json")));
    }

    @Test
    void badConfigsAreRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VaeConfig(96, 16, List.of(1, 2, 4, 4), 2, List.of(), List.of(false, true)));
        assertTrue(e.getMessage().contains("temperal_downsample must have 3 entries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new VaeConfig(0, 16, List.of(1, 2), 2, List.of(), List.of(false)));
        assertTrue(e.getMessage().contains("'dim'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new VaeConfig(8, 4, List.of(1, 1, 1, 1, 1), 1, List.of(), List.of(true, true, true, true)));
        assertTrue(e.getMessage().contains("at most 4"), e.getMessage());
        ObjectMapper om = new ObjectMapper();
        e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromJson(om.readTree(
                "{\"dim\": 4, \"dim_mult\": [1, 2], \"num_res_blocks\": 1, \"attn_scales\": [], \"temperal_downsample\": [true]}")));
        assertTrue(e.getMessage().contains("'z_dim'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromJson(om.readTree(
                "{\"dim\": 4, \"z_dim\": 4, \"dim_mult\": [1, 2], \"num_res_blocks\": 1, \"attn_scales\": [],"
                        + " \"temperal_downsample\": [1]}")));
        assertTrue(e.getMessage().contains("temperal_downsample"), e.getMessage());
    }

    private static Map<String, Tensor> goldenTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (StateDict sd = SafeTensors.load(Golden.dir("vae/decode").resolve("vae.safetensors"))) {
            for (String n : sd.names()) m.put(n, sd.tensor(n));
        }
        return m;
    }

    @Test
    void missingMisshapedAndNonFiniteTensorsAreNamed() {
        Map<String, Tensor> m = goldenTensors();
        m.remove("decoder.middle.1.to_qkv.bias");
        m.put("decoder.head.2.weight", Tensor.zeros(3, 4, 3, 3, 2));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> WanVaeCheckpoint.load(StateDict.ofTensors("bad.safetensors", m), VaeConfig.TINY));
        assertTrue(e.getMessage().contains("decoder.middle.1.to_qkv.bias"), e.getMessage());
        assertTrue(e.getMessage().contains("decoder.head.2.weight [3, 4, 3, 3, 2]"), e.getMessage());

        Map<String, Tensor> nan = goldenTensors();
        nan.get("encoder.conv1.bias").data()[1] = Float.NaN;
        e = assertThrows(CheckpointException.class,
                () -> WanVaeCheckpoint.load(StateDict.ofTensors("nan.safetensors", nan), VaeConfig.TINY));
        assertTrue(e.getMessage().contains("encoder.conv1.bias"), e.getMessage());

        // weights of another config: the mismatch is reported, not silently mis-loaded
        VaeConfig other = new VaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
        e = assertThrows(CheckpointException.class,
                () -> WanVaeCheckpoint.load(StateDict.ofTensors("tiny.safetensors", goldenTensors()), other));
        assertTrue(e.getMessage().contains("unexpected"), e.getMessage());
    }

    @Test
    void saveThenLoadRoundTripsEveryParameter(@TempDir Path tmp) throws Exception {
        VaeConfig c = new VaeConfig(4, 3, List.of(1, 2, 2), 1, List.of(0.5), List.of(true, false));
        VaeWeights w = VaeWeights.random(c, 7);
        Path f = tmp.resolve("vae.safetensors");
        WanVaeCheckpoint.save(w, f);
        assertTrue(Files.size(f) > 0);
        VaeWeights back = WanVaeCheckpoint.load(f, c);
        List<float[]> a = params(w), b = params(back);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i), "parameter " + i);
        // the attention scale 0.5 puts an attention block after each residual block of that level
        assertTrue(WanVaeCheckpoint.expectedShapes(c).containsKey("encoder.downsamples.3.to_qkv.weight"));
    }

    private static List<float[]> params(VaeWeights w) {
        List<float[]> out = new ArrayList<>();
        w.forEachParameter(new VaeWeights.ParameterVisitor() {
            @Override
            public void conv(VaeWeights.Conv conv) {
                out.add(conv.weight());
                out.add(conv.bias());
            }

            @Override
            public void gamma(float[] gamma) {
                out.add(gamma);
            }
        });
        return out;
    }
}
