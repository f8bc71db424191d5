package longlive.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The umT5 encoder against the reference run on the golden cases (docs/golden.md, {@code t5/}). */
class T5ParityTest {

    private static float[] expected(Path dir) {
        try (StateDict sd = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            return sd.tensor("text_embeds").data();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"per_layer_pos", "shared_pos"})
    void matchesReferenceOnScalarAndVectorKernels(String name) throws Exception {
        Path dir = Golden.dir("t5/" + name);
        TextReplayCase c = TextReplayCase.read(dir);
        assertEquals(name.equals("shared_pos"), c.config().sharedPos());
        float[] ref = expected(dir);
        try (Parallel par = new Parallel(2)) {
            for (T5Kernels k : new T5Kernels[] {T5Kernels.scalar(Parallel.serial()), T5Kernels.fast(par)}) {
                Tensor out = c.run(k);
                double err = Golden.relError(out.data(), ref);
                System.out.printf("t5 %s (%s): rel. error %.3g%n", name, k.matMul().getClass().getSimpleName(), err);
                assertTrue(err <= 1e-3, name + ": rel. error " + err);
                // The padding rows are exactly zero (lengths 17 and 9 in the golden inputs).
                int len = c.length(), d = c.config().dim();
                for (int b = 0; b < c.batch(); b++) {
                    int valid = 0;
                    for (int t = 0; t < len; t++) if (c.mask()[b * len + t] > 0) valid++;
                    for (int i = (b * len + valid) * d; i < (b + 1) * len * d; i++) assertEquals(0f, out.data()[i]);
                    assertTrue(Math.abs(out.data()[(b * len + valid - 1) * d]) > 0, "last real row is not zero");
                }
            }
        }
    }

    @Test
    void replayWritesTextEmbeds(@TempDir Path tmp) throws Exception {
        Path dir = Golden.dir("t5/per_layer_pos");
        Path out = tmp.resolve("out.safetensors");
        TextReplayCase.run(dir, out);
        assertTrue(Files.size(out) > 0);
        try (StateDict sd = SafeTensors.load(out)) {
            Tensor t = sd.tensor("text_embeds", 2, 24, 32);
            assertTrue(Golden.relError(t.data(), expected(dir)) <= 1e-3);
        }
        assertTrue(TextReplayCase.isTextCase(dir));
        assertTrue(!TextReplayCase.isTextCase(Golden.dir("dit/no_switch")));
    }

    @Test
    void computingOnlyTheRealTokensChangesNothing() throws Exception {
        Path dir = Golden.dir("t5/shared_pos");
        TextReplayCase c = TextReplayCase.read(dir);
        T5Encoder enc = new T5Encoder(c.weights(), T5Kernels.scalar(Parallel.serial()));
        int len = c.length();
        for (int b = 0; b < c.batch(); b++) {
            long[] ids = java.util.Arrays.copyOfRange(c.tokenIds(), b * len, (b + 1) * len);
            long[] mask = java.util.Arrays.copyOfRange(c.mask(), b * len, (b + 1) * len);
            float[] full = enc.forward(ids, mask, false), shortcut = enc.forward(ids, mask, true);
            double err = Golden.relError(shortcut, full);
            assertTrue(err < 1e-6, "prefix shortcut vs full pass: " + err);
            assertTrue(Golden.relError(full, 0, expected(dir), b * len * 32, len * 32) <= 1e-3);
        }
    }

    @Test
    void positionTablesMatter() throws Exception {
        // Guards against a test that passes because the bias is ignored: zeroing the tables must break parity.
        Path dir = Golden.dir("t5/per_layer_pos");
        TextReplayCase c = TextReplayCase.read(dir);
        for (T5BlockWeights b : c.weights().blocks()) java.util.Arrays.fill(b.posEmbedding(), 0f);
        double err = Golden.relError(c.run(T5Kernels.scalar(Parallel.serial())).data(), expected(dir));
        assertTrue(err > 1e-2, "zeroed position tables still match (" + err + ")");
    }
}
