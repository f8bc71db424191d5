package longlive.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import longlive.cache.ModelCache;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanDitCheckpoint;
import longlive.kernel.Parallel;
import longlive.sampling.FlowMatchSchedule;
import longlive.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The model layer by layer against the reference: {@code single_forward} (one block through an empty cache) and
 * {@code cached_forward} (two consecutive blocks; the second sees the first's cached keys). Every saved intermediate
 * (patch embedding, text embedding, time embeddings, each block's output, the head, the velocity and x0) must agree
 * to 1e-3 relative error.
 */
class DebugForwardParityTest {
    static final double TOL = 1e-3;

    @ParameterizedTest
    @ValueSource(strings = {"single_forward", "cached_forward"})
    void matchesReferenceLayerByLayer(String name) throws Exception {
        Path dir = Golden.dir("dit_debug/" + name);
        DitConfig cfg = DitConfig.fromJson(dir.resolve("config.json"));
        DitWeights w = WanDitCheckpoint.load(dir.resolve("model.safetensors"), cfg);
        JsonNode fwd = new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("forward.json")));
        int local = fwd.get("local_attn_size").asInt(), sink = fwd.get("sink_size").asInt();
        try (Parallel par = new Parallel(2);
             StateDict in = SafeTensors.load(dir.resolve("inputs.safetensors"));
             StateDict exp = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            CausalDit model = new CausalDit(w, DitKernels.fast(par), RopeMode.ABSOLUTE);
            Map<String, float[]> seen = new HashMap<>();
            model.setProbe((n, data, off, len) -> seen.put(n, java.util.Arrays.copyOfRange(data, off, off + len)));

            Tensor context = in.tensor("context");
            float[] text = new float[cfg.textLen() * cfg.dim()];
            model.embedPrompt(context.data(), context.dim(0), text,
                    new float[cfg.textLen() * Math.max(cfg.textDim(), cfg.dim())]);
            check(name, "text_emb", text, exp.tensor("text_emb").data());

            JsonNode calls = fwd.get("calls");
            Tensor x0 = in.tensor(calls.get(0).get("x").asText());
            int frames = x0.dim(0), h = x0.dim(2), wd = x0.dim(3), fsl = cfg.frameSeqLen(h, wd);
            ModelCache cache = new ModelCache(cfg.numLayers(), cfg.dim(), cfg.textLen(), fsl, local, sink, true,
                    local * fsl, false);
            DitState st = new DitState(cfg, frames, fsl);
            FlowMatchSchedule sched = new FlowMatchSchedule(5.0);
            float[] flow = new float[x0.size()];
            for (int i = 0; i < calls.size(); i++) {
                JsonNode call = calls.get(i);
                Tensor x = in.tensor(call.get("x").asText());
                Tensor t = in.tensor(call.get("t").asText());
                model.forward(st, cache, x.data(), 0, frames, h, wd, t.data(), text, call.get("start_frame").asInt(),
                        false, flow, 0);
                String outName = calls.size() == 1 ? "output" : "output_call" + i;
                if (exp.contains(outName)) check(name, outName, flow, exp.tensor(outName).data());
                String x0Name = calls.size() == 1 ? "x0" : "x0_call" + i;
                if (exp.contains(x0Name)) {
                    float[] pred = new float[flow.length];
                    int per = flow.length / frames; // x0 = x_t - sigma(t_f) v per frame (timesteps may differ per frame)
                    for (int f = 0; f < frames; f++)
                        sched.x0FromVelocity(x.data(), f * per, flow, f * per, t.data()[f], pred, f * per, per);
                    check(name, x0Name, pred, exp.tensor(x0Name).data());
                }
            }
            // the intermediates of the last call
            for (String n : new String[] {"patch_emb", "e", "e0", "head_out"}) check(name, n, seen.get(n), exp.tensor(n).data());
            for (int l = 0; l < cfg.numLayers(); l++)
                check(name, "block_out_" + l, seen.get("block_out_" + l), exp.tensor("block_out_" + l).data());
            for (int l = 0; l < cfg.numLayers(); l++) {
                if (!exp.contains("cache_k_" + l)) continue;
                float[] ek = exp.tensor("cache_k_" + l).data(), ev = exp.tensor("cache_v_" + l).data();
                check(name, "cache_k_" + l, java.util.Arrays.copyOf(cache.layer(l).keys(), ek.length), ek);
                check(name, "cache_v_" + l, java.util.Arrays.copyOf(cache.layer(l).values(), ev.length), ev);
            }
        }
    }

    static void check(String kase, String what, float[] ours, float[] ref) {
        assertEquals(ref.length, ours.length, kase + "/" + what + ": length");
        double err = Golden.relError(ours, ref);
        System.out.printf("%s/%s: rel err %.3e%n", kase, what, err);
        assertTrue(err <= TOL, kase + "/" + what + ": relative error " + err + " > " + TOL);
    }
}
