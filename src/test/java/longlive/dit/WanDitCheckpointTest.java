package longlive.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import longlive.io.StateDict;
import longlive.io.WanDitCheckpoint;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WanDitCheckpointTest {
    static final DitConfig C = DitConfig.TINY;

    static Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (var e : WanDitCheckpoint.expectedShapes(C).entrySet()) {
            Tensor t = Tensor.zeros(e.getValue());
            for (int i = 0; i < t.size(); i++) t.data()[i] = (e.getKey().hashCode() % 97 + i) * 1e-3f;
            m.put(e.getKey(), t);
        }
        return m;
    }

    @Test
    void refusesMissingUnexpectedAndMisShapedTensorsNamingThem() {
        Map<String, Tensor> m = tensors();
        m.remove("blocks.1.ffn.2.bias");
        m.put("blocks.0.extra.weight", Tensor.zeros(3));
        m.put("head.modulation", Tensor.zeros(1, 3, C.dim()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WanDitCheckpoint.load(StateDict.ofTensors("test", m), C));
        String msg = e.getMessage();
        for (String name : new String[] {"blocks.1.ffn.2.bias", "blocks.0.extra.weight", "head.modulation"})
            assertTrue(msg.contains(name), "message should name " + name + ": " + msg);
    }

    @Test
    void saveThenLoadRoundTrips(@TempDir Path tmp) throws Exception {
        try (Parallel par = new Parallel(2)) {
            DitWeights w = DitWeights.random(C, 3, par);
            Path f = tmp.resolve("model.safetensors");
            WanDitCheckpoint.save(w, f);
            assertTrue(Files.size(f) > C.parameterCount() * 4);
            DitWeights back = WanDitCheckpoint.load(f, C);
            assertArrayEquals(w.blocks().get(1).ffn0().weight(), back.blocks().get(1).ffn0().weight());
            assertArrayEquals(w.patchEmbedding().weight(), back.patchEmbedding().weight());
            assertArrayEquals(w.headModulation(), back.headModulation());
            assertArrayEquals(w.blocks().get(0).crossNormK(), back.blocks().get(0).crossNormK());
        }
    }
}
