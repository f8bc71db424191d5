package longlive.dit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import longlive.cache.ModelCache;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanDitCheckpoint;
import longlive.kernel.KeyMask;
import longlive.kernel.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gradients against the reference's autograd (golden/dit_grad, made by tools/golden/make_dit_grad_cases.py):
 * loss = sum(flow * R); the flow, the gradient of every weight, of the input latents (and clean latents) and of the
 * prompt embedding must agree to 1e-3 relative error ({@code max|ours - ref| / max|ref|} per tensor).
 */
class DitGradParityTest {
    static final double TOL = 1e-3;

    @ParameterizedTest
    @ValueSource(strings = {"bidirectional", "block_causal", "teacher_forcing", "cached_step"})
    void gradientsMatchTheReference(String name) throws Exception {
        Path dir = Golden.dir("dit_grad/" + name);
        DitConfig cfg = DitConfig.fromJson(dir.resolve("config.json"));
        DitWeights w = WanDitCheckpoint.load(dir.resolve("model.safetensors"), cfg);
        JsonNode cs = new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("case.json")));
        int frames = cs.get("frames").asInt(), h = cs.get("height").asInt(), wd = cs.get("width").asInt();
        int block = cs.get("num_frame_per_block").asInt(), rows = cs.get("prompt_rows").asInt();
        int fsl = cfg.frameSeqLen(h, wd), frame = cfg.inDim() * h * wd;
        try (Parallel par = new Parallel(1);
             StateDict in = SafeTensors.load(dir.resolve("inputs.safetensors"));
             StateDict exp = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            DitKernels k = DitKernels.fast(par);
            DitTraining tr = new DitTraining(w, k);
            float[] lat = in.tensor("latents").data(), prompt = in.tensor("prompt").data(), r = in.tensor("R").data();
            float[] t = in.tensor("timesteps").data();
            float[] flow = new float[frames * cfg.outDim() * h * wd];
            float[] dLat = new float[lat.length], dPrompt = new float[prompt.length], dClean = null;
            DitTape tape;
            switch (name) {
                case "bidirectional", "block_causal" -> {
                    tape = new DitTape(cfg, frames, fsl);
                    KeyMask m = name.equals("bidirectional") ? null : KeyMask.blockCausal(frames, fsl, block, -1);
                    tr.forward(tape, lat, 0, frames, h, wd, t, prompt, rows, m, flow, 0);
                }
                case "teacher_forcing" -> {
                    tape = new DitTape(cfg, 2 * frames, fsl);
                    float[] clean = in.tensor("clean").data();
                    dClean = new float[clean.length];
                    tr.forwardTeacherForced(tape, clean, 0, lat, 0, frames, h, wd, in.tensor("clean_timesteps").data(),
                            t, block, prompt, rows, flow, 0);
                }
                case "cached_step" -> {
                    int window = cs.get("window").asInt(), sink = cs.get("sink").asInt();
                    tape = new DitTape(cfg, frames, fsl, window * fsl);
                    ModelCache cache = new ModelCache(cfg.numLayers(), cfg.dim(), cfg.textLen(), fsl, window, sink, true,
                            window * fsl, false);
                    CausalDit inf = new CausalDit(w, k, RopeMode.ABSOLUTE);
                    float[] ctx = new float[cfg.textLen() * cfg.dim()];
                    inf.embedPrompt(prompt, rows, ctx, new float[cfg.textLen() * Math.max(cfg.textDim(), cfg.dim())]);
                    float[] prefill = in.tensor("prefill").data();
                    DitState st = new DitState(cfg, block, fsl);
                    for (int b = 0; b < cs.get("prefill_blocks").asInt(); b++)
                        inf.forward(st, cache, prefill, b * block * frame, block, h, wd, new float[block], ctx, b * block,
                                false, null, 0);
                    tr.forwardCachedBlock(tape, cache, RopeMode.ABSOLUTE, lat, 0, frames, h, wd, t, prompt, rows,
                            cs.get("start_frame").asInt(), flow, 0);
                }
                default -> throw new AssertionError(name);
            }
            List<String> bad = new ArrayList<>();
            double worst = check("flow", flow, exp.tensor("flow").data(), bad);
            DitWeights g = DitTraining.zerosLike(w);
            tr.backward(tape, r, 0, g, dLat, 0, dClean, 0, dPrompt);
            int n = 0;
            for (Map.Entry<String, float[]> e : WanDitCheckpoint.tensors(g).entrySet()) {
                worst = Math.max(worst, check(e.getKey(), e.getValue(), exp.tensor("grad." + e.getKey()).data(), bad));
                n++;
            }
            worst = Math.max(worst, check("latents", dLat, exp.tensor("grad.latents").data(), bad));
            worst = Math.max(worst, check("prompt", dPrompt, exp.tensor("grad.prompt").data(), bad));
            if (dClean != null) worst = Math.max(worst, check("clean", dClean, exp.tensor("grad.clean").data(), bad));
            System.out.printf("DitGradParityTest %s: flow + %d weight gradients + inputs, worst rel. error %.2e%n",
                    name, n, worst);
            assertTrue(bad.isEmpty(), name + ": " + bad);
        }
    }

    private static double check(String what, float[] ours, float[] ref, List<String> bad) {
        double err = Golden.relError(ours, ref);
        if (!(err <= TOL)) bad.add(what + " rel. error " + err);
        return err;
    }
}
