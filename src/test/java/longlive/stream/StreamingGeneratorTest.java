package longlive.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import longlive.cache.KvCache;
import longlive.dit.CausalDit;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitWeights;
import longlive.dit.RopeMode;
import longlive.kernel.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class StreamingGeneratorTest {
    static final DitConfig C = DitConfig.TINY;
    static final int H = 4, W = 6;
    static final Parallel PAR = Parallel.serial(); // tiny shapes: thread hand-offs would cost more than the work
    static final DitWeights WEIGHTS = DitWeights.random(C, 7, PAR);

    @AfterAll
    static void close() {
        PAR.close();
    }

    static float[] prompt(long seed) {
        float[] p = new float[C.textLen() * C.textDim()];
        new SeededNoise(seed).initial(0, p, 0, p.length);
        return p;
    }

    static StreamingGenerator gen(InferenceConfig cfg, long seed, StreamingGenerator.Listener l) {
        return gen(cfg, seed, l, DitKernels.fast(PAR));
    }

    static StreamingGenerator gen(InferenceConfig cfg, long seed, StreamingGenerator.Listener l, DitKernels k) {
        CausalDit model = new CausalDit(WEIGHTS, k, cfg.ropeMode());
        return new StreamingGenerator(model, cfg, H, W, Integer.MAX_VALUE, new SeededNoise(seed), prompt(1),
                C.textLen(), l);
    }

    static float[] run(StreamingGenerator g, int blocks) {
        int bs = g.framesPerBlock() * g.frameSize();
        float[] out = new float[blocks * bs];
        for (int b = 0; b < blocks; b++) g.step(out, b * bs);
        return out;
    }

    @Test
    void sameSeedSameLatentsOtherSeedOtherLatents() {
        // bit-exact on the scalar kernels
        DitKernels scalar = DitKernels.scalar(PAR);
        float[] a = run(gen(InferenceConfig.LONGLIVE, 42, null, scalar), 6);
        float[] b = run(gen(InferenceConfig.LONGLIVE, 42, null, scalar), 6);
        float[] c = run(gen(InferenceConfig.LONGLIVE, 43, null, scalar), 6);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        for (float v : a) assertTrue(Float.isFinite(v));
        // bit-exact on the Vector API kernels too, although the first run is partly interpreted and the second
        // compiled: their exp/tanh/lane sums are built from exactly rounded operations (kernel.VectorMath)
        float[] f1 = run(gen(InferenceConfig.LONGLIVE, 42, null), 6);
        float[] f2 = run(gen(InferenceConfig.LONGLIVE, 42, null), 6);
        assertArrayEquals(f1, f2, "fast kernels, same seed");
        assertTrue(longlive.dit.Golden.relError(f1, a) < 1e-4, "fast vs scalar kernels");
    }

    @Test
    void switchTakesEffectAtTheNextBlockBoundaryWithARecacheOfTheWindow() {
        record Recache(int at, int start, int frames) {}
        List<Recache> seen = new ArrayList<>();
        List<Integer> blockStarts = new ArrayList<>();
        StreamingGenerator.Listener l = new StreamingGenerator.Listener() {
            @Override
            public void blockStarted(int block, int firstFrame) {
                blockStarts.add(firstFrame);
            }

            @Override
            public void recached(int atFrame, int recacheStart, int recacheFrames) {
                seen.add(new Recache(atFrame, recacheStart, recacheFrames));
            }
        };
        DitKernels exact = DitKernels.scalar(PAR); // bit-exact comparisons need the scalar kernels
        StreamingGenerator g = gen(InferenceConfig.LONGLIVE, 5, l, exact);
        StreamingGenerator plain = gen(InferenceConfig.LONGLIVE, 5, null, exact);
        float[] before = run(g, 6), plainBefore = run(plain, 6);
        assertArrayEquals(plainBefore, before, "nothing changes before the switch");
        g.requestPromptSwitch(prompt(2), C.textLen());
        assertTrue(g.switchPending());
        assertTrue(seen.isEmpty(), "a request alone does not recache");
        float[] after = run(g, 2), plainAfter = run(plain, 2);
        assertFalse(g.switchPending());
        // at frame 18 the window holds min(12, 18) = 12 frames: recache frames [6, 18)
        assertEquals(List.of(new Recache(18, 6, 12)), seen);
        assertEquals(List.of(0, 3, 6, 9, 12, 15, 18, 21), blockStarts);
        assertFalse(Arrays.equals(after, plainAfter), "the new prompt changes the video");

        // early switch: the window is not full, all frames so far are recached
        seen.clear();
        StreamingGenerator early = gen(InferenceConfig.LONGLIVE, 5, l);
        run(early, 2);
        early.requestPromptSwitch(prompt(2), C.textLen());
        run(early, 1);
        assertEquals(List.of(new Recache(6, 0, 6)), seen);
    }

    @Test
    void globalSinkTrueAndFalseDifferAfterASwitch() {
        float[][] outs = new float[2][];
        for (int i = 0; i < 2; i++) {
            StreamingGenerator g = gen(InferenceConfig.LONGLIVE.withGlobalSink(i == 0), 9, null);
            float[] a = run(g, 6);
            g.requestPromptSwitch(prompt(3), C.textLen());
            float[] b = run(g, 2);
            outs[i] = b;
            if (i == 1) assertFalse(Arrays.equals(outs[0], b), "global_sink true and false differ after the switch");
        }
    }

    @Test
    void longRelativeStreamKeepsItsBuffersAndPassesTheAbsoluteLimit() {
        StreamingGenerator g = gen(InferenceConfig.LONGLIVE.withRopeMode(RopeMode.RELATIVE), 11, null);
        List<float[]> keys = new ArrayList<>();
        for (KvCache c : g.cache().layers()) keys.add(c.keys());
        long bytes = g.sessionBytes();
        int capacity = g.cache().layer(0).capacityTokens();
        float[] block = new float[g.framesPerBlock() * g.frameSize()];
        int blocks = 350; // 1050 latent frames, past the absolute mode's 1024
        for (int b = 0; b < blocks; b++) {
            if (b == 200) g.requestPromptSwitch(prompt(4), C.textLen());
            g.step(block, 0);
            for (float v : block) assertTrue(Float.isFinite(v), "finite at block " + b);
        }
        assertEquals(blocks * 3, g.currentFrame());
        assertEquals(bytes, g.sessionBytes());
        for (int i = 0; i < keys.size(); i++) {
            KvCache c = g.cache().layer(i);
            assertSame(keys.get(i), c.keys(), "layer " + i + " cache array replaced");
            assertEquals(capacity, c.capacityTokens());
            assertEquals(capacity, c.localEndIndex());
            assertEquals(blocks * 3 * 6, c.globalEndIndex());
        }
    }

    @Test
    void absoluteModeRefusesToPassTheRopeTableAndStaysUsable() {
        StreamingGenerator g = gen(InferenceConfig.LONGLIVE, 11, null);
        float[] block = new float[g.framesPerBlock() * g.frameSize()];
        for (int b = 0; b < 1023 / 3; b++) g.step(block, 0); // frames 0..1022
        assertEquals(1023, g.currentFrame());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.step(block, 0));
        assertTrue(e.getMessage().contains("relative RoPE"), e.getMessage());
        assertEquals(1023, g.currentFrame());
    }

    @Test
    void globalAttentionNeedsAFrameLimit() {
        InferenceConfig global = new InferenceConfig(3, new int[] {1000, 750, 500, 250}, true, 5.0, -1, 3, true, 0,
                RopeMode.ABSOLUTE);
        CausalDit model = new CausalDit(WEIGHTS, DitKernels.fast(PAR), RopeMode.ABSOLUTE);
        assertThrows(IllegalArgumentException.class, () -> new StreamingGenerator(model, global, H, W,
                Integer.MAX_VALUE, new SeededNoise(1), prompt(1), C.textLen(), null));
        StreamingGenerator g = new StreamingGenerator(model, global, H, W, 9, new SeededNoise(1), prompt(1),
                C.textLen(), null);
        run(g, 3);
        assertThrows(IllegalStateException.class, () -> g.step());
        // the limit a caller gives for a run of F frames covers its last block whole, even when F is not whole blocks
        assertEquals(9, StreamingGenerator.frameLimitFor(global, 7));
        assertEquals(9, StreamingGenerator.frameLimitFor(global, 9));
        assertEquals(3, StreamingGenerator.frameLimitFor(global, 1));
        assertEquals(Integer.MAX_VALUE, StreamingGenerator.frameLimitFor(InferenceConfig.LONGLIVE, 7));
        StreamingGenerator seven = new StreamingGenerator(model, global, H, W, StreamingGenerator.frameLimitFor(global, 7),
                new SeededNoise(1), prompt(1), C.textLen(), null);
        run(seven, 3);     // frames 0..8: the third block holds frame 6, the run's last
    }

    /** Noise that does not depend on the block: a block's draws depend only on the denoising step. */
    private record SameForEveryBlock(long seed) implements NoiseSource {
        public void initial(int block, float[] out, int off, int n) {
            new SeededNoise(seed).initial(0, out, off, n);
        }

        public void step(int block, int step, float[] out, int off, int n) {
            new SeededNoise(seed).step(0, step, out, off, n);
        }
    }

    @Test
    void clearSwitchStartsAfreshLikeANewVideo() {
        for (RopeMode rope : new RopeMode[] {RopeMode.ABSOLUTE, RopeMode.RELATIVE}) {
            InferenceConfig cfg = InferenceConfig.LONGLIVE.withRopeMode(rope);
            CausalDit model = new CausalDit(WEIGHTS, DitKernels.scalar(PAR), rope);
            StreamingGenerator g = new StreamingGenerator(model, cfg, H, W, Integer.MAX_VALUE, new SameForEveryBlock(5),
                    prompt(1), C.textLen(), null);
            g.setSwitchMode(StreamingGenerator.SwitchMode.CLEAR);
            run(g, 5);
            g.requestPromptSwitch(prompt(3), C.textLen());
            float[] afterSwitch = run(g, 2);
            StreamingGenerator fresh = new StreamingGenerator(model, cfg, H, W, Integer.MAX_VALUE, new SameForEveryBlock(5),
                    prompt(3), C.textLen(), null);
            assertArrayEquals(run(fresh, 2), afterSwitch, rope + ": after a CLEAR switch the video restarts");
            assertEquals(21, g.currentFrame(), "frame numbering goes on");
        }
    }

    @Test
    void keepSwitchLeavesTheOldKeysAndRecacheRewritesThem() {
        InferenceConfig cfg = InferenceConfig.LONGLIVE.withGlobalSink(false);   // window 12, sink 3
        float[][] outs = new float[2][];
        StreamingGenerator.SwitchMode[] modes = {StreamingGenerator.SwitchMode.KEEP, StreamingGenerator.SwitchMode.RECACHE};
        for (int m = 0; m < 2; m++) {
            List<int[]> recached = new ArrayList<>();
            StreamingGenerator g = gen(cfg, 9, new StreamingGenerator.Listener() {
                @Override
                public void recached(int atFrame, int recacheStart, int recacheFrames) {
                    recached.add(new int[] {atFrame, recacheStart, recacheFrames});
                }
            });
            g.setSwitchMode(modes[m]);
            run(g, 2);                                          // frames 0..5: the window (12) does not roll yet
            KvCache layer = g.cache().layer(C.numLayers() - 1);   // layer 0's keys do not see the prompt yet
            int oldSlots = 6 * C.frameSeqLen(H, W) * C.dim();
            float[] before = Arrays.copyOf(layer.keys(), oldSlots);
            g.requestPromptSwitch(prompt(3), C.textLen());
            outs[m] = run(g, 1);
            float[] after = Arrays.copyOf(layer.keys(), oldSlots);
            if (m == 0) {
                assertArrayEquals(before, after, "KEEP must not touch the old prompt's keys");
                assertArrayEquals(new int[] {6, 6, 0}, recached.get(0));
            } else {
                assertFalse(Arrays.equals(before, after), "RECACHE rewrites the window's keys under the new prompt");
                assertArrayEquals(new int[] {6, 0, 6}, recached.get(0));
            }
        }
        assertFalse(Arrays.equals(outs[0], outs[1]), "KEEP and RECACHE give different frames after the switch");
    }
}
