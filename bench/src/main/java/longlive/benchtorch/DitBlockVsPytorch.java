package longlive.benchtorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.lang.management.ManagementFactory;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import longlive.bench.BenchCommand;
import longlive.cache.CacheUpdate;
import longlive.cache.KvCache;
import longlive.cache.ModelCache;
import longlive.dit.BlockWeights;
import longlive.dit.CausalDit;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitState;
import longlive.dit.DitWeights;
import longlive.dit.RopeMode;
import longlive.kernel.Parallel;
import longlive.kernel.Rope3d;
import longlive.kernel.RopeTable;

/**
 * One Wan2.1-1.3B transformer block at full width, ours vs PyTorch (libtorch via DJL, fp32, eager), on the SAME random
 * weights and inputs: 3 latent frames of 30 x 52 tokens (832x480 video, 4680 queries) against a full window of 18720
 * keys (3 sink + 6 cached frames given as random keys/values + the block's own 3 frames), absolute RoPE at frames
 * 9..11. Checks that both outputs agree, then times both (warm-up 1, median of N).
 *
 * <p>Java side: a 1-layer {@link CausalDit} at 1.3B width whose {@link KvCache} is pre-filled with 14040 random keys
 * and values; the timed call is a whole cache-pass forward (patch and time embeddings + the block; no head), repeated
 * at the same frames (a recompute, as the 2nd..4th denoising steps are). The embeddings are ~1 GFLOP of the ~945.
 *
 * <p>PyTorch side: the block math of {@code CausalWanAttentionBlock} written with DJL ops (each a libtorch op):
 * {@code layer_norm}, {@code linear}, RMSNorm as {@code x * 1/sqrt(mean(x^2) + eps) * w} (as WanRMSNorm), RoPE as
 * elementwise products with precomputed cos/sin (adjacent pairs), self-attention {@code softmax(QK^T/sqrt(128))V}
 * one head at a time (all 12 at once would need 3 x 4.2 GB of scores), cross-attention over the 512 text rows
 * (all heads batched; the text keys/values are precomputed once, as our cache does), GELU(tanh) spelled out.
 *
 * <p>Usage (from the launcher): {@code ./longlive bench --vs-pytorch --dit-block [--threads N] [--runs N]}.
 */
public final class DitBlockVsPytorch {
    private static final int FRAMES = 3, GRID_H = 30, GRID_W = 52, WINDOW_FRAMES = 12, SINK_FRAMES = 3;
    private static final int START_FRAME = WINDOW_FRAMES - FRAMES; // the block's frames are the window's last three

    private DitBlockVsPytorch() {}

    public static void main(String[] args) {
        int threads = Runtime.getRuntime().availableProcessors(), runs = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--vs-pytorch", "--dit-block" -> { }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --threads N, --runs N)");
            }
        }
        if (runs < 1) throw new IllegalArgumentException("--runs must be >= 1");
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        DitConfig big = DitConfig.WAN_1_3B;
        DitConfig c = new DitConfig(big.modelType(), big.dim(), big.ffnDim(), big.freqDim(), big.numHeads(), 1,
                big.inDim(), big.outDim(), big.textLen(), big.textDim(), big.patchT(), big.patchH(), big.patchW(),
                big.eps(), big.qkNorm(), big.crossAttnNorm());
        int d = c.dim(), fsl = GRID_H * GRID_W, tokens = FRAMES * fsl, cached = START_FRAME * fsl;
        int lh = GRID_H * c.patchH(), lw = GRID_W * c.patchW();
        try (Parallel par = new Parallel(threads); NDManager base = NDManager.newBaseManager("PyTorch")) {
            System.out.printf(Locale.ROOT, "# One Wan2.1-1.3B DiT block (dim %d, ffn %d, %d heads x %d), %d queries"
                            + " (3 frames of %dx%d) over %d keys (%d cached + %d new); ours vs PyTorch %s (DJL %s),"
                            + " fp32, %d threads each%n", d, c.ffnDim(), c.numHeads(), c.headDim(), tokens, GRID_H,
                    GRID_W, cached + tokens, cached, tokens, base.getEngine().getVersion(),
                    ai.djl.engine.Engine.getDjlVersion(), threads);
            System.out.printf(Locale.ROOT, "# %s; load average %s; OMP_WAIT_POLICY=%s%n", ZonedDateTime.now().withNano(0),
                    BenchCommand.loadAverage(), System.getenv("OMP_WAIT_POLICY"));

            // ---- the shared random weights and inputs (built in Java, handed to both sides)
            DitWeights w = DitWeights.random(c, 7, par);
            BlockWeights b = w.blocks().getFirst();
            float[] cacheK = uniform(cached * d, 11, 1), cacheV = uniform(cached * d, 12, 1);
            float[] latents = uniform(FRAMES * c.inDim() * lh * lw, 13, 1);
            float[] context = uniform(c.textLen() * d, 14, 1);
            float[] timesteps = {1000f, 937.5f, 833.3333f}; // distinct per frame, so a per-frame e0 mix-up shows

            // ---- Java: a 1-layer CausalDit whose cache already holds 9 frames
            CausalDit model = new CausalDit(w, DitKernels.fast(par), RopeMode.ABSOLUTE);
            ModelCache cache = new ModelCache(1, d, c.textLen(), fsl, WINDOW_FRAMES, SINK_FRAMES, true,
                    WINDOW_FRAMES * fsl, false);
            KvCache kv = cache.layer(0);
            CacheUpdate pre = kv.plan(0, cached, false);
            kv.write(pre, cacheK, cacheV);
            kv.commit(pre);
            DitState st = new DitState(c, FRAMES, fsl);
            float[][] probed = new float[3][];
            model.setProbe((name, data, off, len) -> {
                int slot = switch (name) {
                    case "patch_emb" -> 0;
                    case "e0" -> 1;
                    case "block_out_0" -> 2;
                    default -> -1;
                };
                if (slot >= 0) probed[slot] = Arrays.copyOfRange(data, off, off + len);
            });
            Runnable javaForward = () -> model.forward(st, cache, latents, 0, FRAMES, lh, lw, timesteps, context,
                    START_FRAME, false, null, 0);
            double javaWarm = seconds(javaForward); // also fills the cross-attention cache, as a first call does
            model.setProbe(null);
            if (kv.localEndIndex() != cached + tokens)
                throw new IllegalStateException("cache not full after the first forward: local end " + kv.localEndIndex());

            // ---- PyTorch: the same block
            float[] rope = ropeCosSin(c, par);
            TorchBlock tb = new TorchBlock(base, c, b, cacheK, cacheV, context, rope, probed[1], tokens, fsl);
            NDArray xIn = base.create(probed[0], new Shape(tokens, d));
            float[] torchOut;
            long t0 = System.nanoTime();
            try (NDScope scope = new NDScope()) {
                torchOut = tb.forward(xIn).toFloatArray();
                scope.suppressNotUsedWarning();
            }
            double torchWarm = (System.nanoTime() - t0) / 1e9;
            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < torchOut.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(torchOut[i] - probed[2][i]));
                maxRef = Math.max(maxRef, Math.abs(torchOut[i]));
            }
            double rel = maxDiff / maxRef;
            System.out.printf(Locale.ROOT, "# check: block output ours vs PyTorch: max|diff| %.3g, max|ref| %.3g,"
                    + " rel. error %.2e %s%n", maxDiff, maxRef, rel, rel < 1e-3 ? "(agree)" : "(DISAGREE)");
            System.out.printf(Locale.ROOT, "# warm-up run: ours %.2f s, PyTorch %.2f s%n", javaWarm, torchWarm);
            if (!(rel < 1e-3)) throw new IllegalStateException("the two sides do not compute the same block");

            // ---- timing: median of `runs`, sides alternated so a load change hits both
            List<double[]> j = new ArrayList<>(), t = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                j.add(timed(javaForward));
                t.add(timed(() -> {
                    try (NDScope scope = new NDScope()) {
                        tb.forward(xIn).toFloatArray();
                        scope.suppressNotUsedWarning();
                    }
                }));
                System.out.printf(Locale.ROOT, "#   run %d: ours %.2f s (%.1f cpu-s), PyTorch %.2f s (%.1f cpu-s); load %s%n",
                        r + 1, j.getLast()[0], j.getLast()[1], t.getLast()[0], t.getLast()[1], BenchCommand.loadAverage());
            }
            double js = median(j, 0), ts = median(t, 0), jc = median(j, 1), tcpu = median(t, 1);
            System.out.println();
            System.out.println("| side | one block, median s | cpu-s | 30-layer forward (x30) | block of 5 forwards (x150) |");
            System.out.println("|---|---:|---:|---:|---:|");
            System.out.printf(Locale.ROOT, "| ours (Java) | %.2f | %.1f | %.0f s | %.0f s |%n", js, jc, 30 * js, 150 * js);
            System.out.printf(Locale.ROOT, "| PyTorch %s eager | %.2f | %.1f | %.0f s | %.0f s |%n",
                    base.getEngine().getVersion(), ts, tcpu, 30 * ts, 150 * ts);
            System.out.printf(Locale.ROOT, "ratio PyTorch / ours: %.2fx wall clock, %.2fx per cpu-s (median of %d; rel. error %.1e)%n",
                    ts / js, tcpu / jc, runs, rel);
            System.out.printf(Locale.ROOT, "# load average at the end %s%n", BenchCommand.loadAverage());
        }
    }

    /**
     * cos/sin of the 3D RoPE of the block's tokens, {@code [tokens, dim]} interleaved: element {@code 2p} holds
     * cos and {@code 2p+1} sin of pair p's angle. Obtained by rotating the vector (1, 0) of every pair with our kernel,
     * so both sides use the same float angles.
     */
    private static float[] ropeCosSin(DitConfig c, Parallel par) {
        int n = FRAMES * GRID_H * GRID_W * c.dim();
        float[] unit = new float[n];
        for (int i = 0; i < n; i += 2) unit[i] = 1f;
        Rope3d.scalar().forward(par, RopeTable.wan(c.headDim()), unit, 0, unit, 0, c.numHeads(), FRAMES, GRID_H,
                GRID_W, START_FRAME);
        return unit;
    }

    private static float[] uniform(int n, long seed, float bound) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return a;
    }

    private static double seconds(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** {wall seconds, process CPU seconds}. */
    private static double[] timed(Runnable r) {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
        r.run();
        return new double[] {(System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - c0) / 1e9};
    }

    private static double median(List<double[]> xs, int col) {
        List<Double> s = new ArrayList<>();
        for (double[] x : xs) s.add(x[col]);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    /** The block in libtorch ops; weights, cached keys/values and constants live in the base manager. */
    private static final class TorchBlock {
        private final int d, heads, hd, tokens, fsl;
        private final float eps, scale;
        private final NDArray modulation, e0, ones, zeros;
        private final NDArray[] selfQ, selfK, selfV, selfO, crossQ, crossO, ffn0, ffn2;
        private final NDArray normQ, normK, crossNormQ, norm3W, norm3B;
        private final NDArray cacheK, cacheV, crossK3, crossV3, cos, sin;

        TorchBlock(NDManager m, DitConfig c, BlockWeights b, float[] cacheKf, float[] cacheVf, float[] context,
                   float[] rope, float[] e0f, int tokens, int fsl) {
            this.d = c.dim();
            this.heads = c.numHeads();
            this.hd = c.headDim();
            this.tokens = tokens;
            this.fsl = fsl;
            this.eps = (float) c.eps();
            this.scale = (float) (1 / Math.sqrt(hd));
            modulation = m.create(b.modulation(), new Shape(1, 6, d));
            e0 = m.create(e0f, new Shape(FRAMES, 6, d));
            ones = m.ones(new Shape(d));
            zeros = m.zeros(new Shape(d));
            selfQ = linear(m, b.selfQ());
            selfK = linear(m, b.selfK());
            selfV = linear(m, b.selfV());
            selfO = linear(m, b.selfO());
            crossQ = linear(m, b.crossQ());
            crossO = linear(m, b.crossO());
            ffn0 = linear(m, b.ffn0());
            ffn2 = linear(m, b.ffn2());
            normQ = m.create(b.selfNormQ());
            normK = m.create(b.selfNormK());
            crossNormQ = m.create(b.crossNormQ());
            norm3W = m.create(b.norm3Weight());
            norm3B = m.create(b.norm3Bias());
            int cached = cacheKf.length / d;
            cacheK = m.create(cacheKf, new Shape(cached, d));
            cacheV = m.create(cacheVf, new Shape(cached, d));
            float[] cosF = new float[tokens * d / 2], sinF = new float[tokens * d / 2];
            for (int i = 0; i < cosF.length; i++) {
                cosF[i] = rope[2 * i];
                sinF[i] = rope[2 * i + 1];
            }
            cos = m.create(cosF, new Shape(tokens, d / 2));
            sin = m.create(sinF, new Shape(tokens, d / 2));
            // the prompt's cross-attention keys/values, once (our side caches them per prompt too)
            try (NDScope scope = new NDScope()) {
                NDArray ctx = m.create(context, new Shape(c.textLen(), d));
                NDArray[] ck = linear(m, b.crossK()), cv = linear(m, b.crossV());
                NDArray k = rms(Linear.linear(ctx, ck[0], ck[1]).singletonOrThrow(), m.create(b.crossNormK()));
                NDArray v = Linear.linear(ctx, cv[0], cv[1]).singletonOrThrow();
                crossK3 = k.reshape(c.textLen(), heads, hd).transpose(1, 2, 0).duplicate(); // [heads, hd, text]
                crossV3 = v.reshape(c.textLen(), heads, hd).transpose(1, 0, 2).duplicate(); // [heads, text, hd]
                NDScope.unregister(crossK3, crossV3);
            }
        }

        private static NDArray[] linear(NDManager m, longlive.dit.Linear l) {
            return new NDArray[] {m.create(l.weight(), new Shape(l.out(), l.in())), m.create(l.bias())};
        }

        private static NDArray lin(NDArray x, NDArray[] wb) {
            return Linear.linear(x, wb[0], wb[1]).singletonOrThrow();
        }

        /** WanRMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * w. */
        private NDArray rms(NDArray x, NDArray w) {
            return x.div(x.square().mean(new int[] {-1}, true).add(eps).sqrt()).mul(w);
        }

        private NDArray layerNorm(NDArray x, NDArray w, NDArray bias) {
            return LayerNorm.layerNorm(x, new Shape(d), w, bias, eps).singletonOrThrow();
        }

        /** Rotates adjacent pairs (x[2p], x[2p+1]) by the token's angle. */
        private NDArray rope(NDArray x) {
            NDArray xr = x.reshape(tokens, d / 2, 2);
            NDArray re = xr.get(":, :, 0"), ro = xr.get(":, :, 1");
            NDArray outRe = re.mul(cos).sub(ro.mul(sin)), outRo = re.mul(sin).add(ro.mul(cos));
            return NDArrays.stack(new NDList(outRe, outRo), 2).reshape(tokens, d);
        }

        /** {@code x.view(frames, fsl, d) * a[frame] (+ b[frame])} for per-frame vectors a, b {@code [frames, 1, d]}. */
        private NDArray perFrame(NDArray x, NDArray mul, NDArray add) {
            NDArray y = x.reshape(FRAMES, fsl, d).mul(mul);
            if (add != null) y = y.add(add);
            return y.reshape(tokens, d);
        }

        NDArray forward(NDArray x) {
            NDArray mod = modulation.add(e0); // [frames, 6, d]
            NDArray[] m = new NDArray[6];
            for (int i = 0; i < 6; i++) m[i] = mod.get(":, " + i + ":" + (i + 1) + ", :"); // [frames, 1, d]

            // self-attention
            NDArray h = perFrame(layerNorm(x, ones, zeros), m[1].add(1), m[0]);
            NDArray q = rope(rms(lin(h, selfQ), normQ));
            NDArray k = rope(rms(lin(h, selfK), normK));
            NDArray v = lin(h, selfV);
            NDArray kAll = cacheK.concat(k, 0), vAll = cacheV.concat(v, 0);
            int nk = (int) kAll.getShape().get(0);
            NDArray q3 = q.reshape(tokens, heads, hd).transpose(1, 0, 2);
            NDArray k3 = kAll.reshape(nk, heads, hd).transpose(1, 2, 0), v3 = vAll.reshape(nk, heads, hd).transpose(1, 0, 2);
            NDList outs = new NDList();
            for (int i = 0; i < heads; i++) {
                try (NDArray qh = q3.get(i); NDArray kh = k3.get(i); NDArray vh = v3.get(i);
                     NDArray s = qh.matMul(kh); NDArray ss = s.mul(scale); NDArray p = ss.softmax(-1)) {
                    outs.add(p.matMul(vh));
                }
            }
            NDArray attn = NDArrays.stack(outs, 0).transpose(1, 0, 2).reshape(tokens, d);
            x = x.add(perFrame(lin(attn, selfO), m[2], null));

            // cross-attention (no gate)
            h = layerNorm(x, norm3W, norm3B);
            NDArray cq = rms(lin(h, crossQ), crossNormQ).reshape(tokens, heads, hd).transpose(1, 0, 2);
            NDArray co = cq.matMul(crossK3).mul(scale).softmax(-1).matMul(crossV3).transpose(1, 0, 2).reshape(tokens, d);
            x = x.add(lin(co, crossO));

            // feed-forward: Linear -> GELU(tanh) -> Linear
            h = perFrame(layerNorm(x, ones, zeros), m[4].add(1), m[3]);
            NDArray f = lin(h, ffn0);
            NDArray inner = f.add(f.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI));
            NDArray g = f.mul(inner.tanh().add(1)).mul(0.5f);
            return x.add(perFrame(lin(g, ffn2), m[5], null));
        }
    }
}
