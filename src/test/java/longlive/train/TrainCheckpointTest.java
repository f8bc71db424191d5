package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import longlive.io.CheckpointException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCheckpointTest {
    private static final long SEED = 42;

    /** A toy model: two tensors, loss = 0.5·|w − target(step)|², targets and noise drawn from StepRng. */
    private static final class Toy {
        final ParamSet params = new ParamSet();
        final AdamW opt;
        final Ema ema;
        long step;

        Toy() {
            SplittableRandom r = new SplittableRandom(1);
            float[] a = new float[12], b = new float[5];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
            params.add("blocks.0.ffn.0.weight", a, 3, 4);
            params.add("blocks.0.ffn.0.bias", b, 5);
            opt = new AdamW(params, AdamWConfig.longLive());
            ema = new Ema(params, 0.9);
        }

        void train(int steps) {
            for (int s = 0; s < steps; s++, step++) {
                SplittableRandom r = StepRng.of(SEED, StepRng.NOISE, step);
                params.zeroGrad();
                for (Param p : params)
                    for (int i = 0; i < p.size(); i++) p.grad()[i] += p.value()[i] - (float) r.nextGaussian();
                params.clipGradNorm(1.0);
                opt.step(1e-2);
                ema.update();
            }
        }

        TrainCheckpoint checkpoint() {
            TrainCheckpoint c = TrainCheckpoint.at(step).params("generator", params).optimizer("generator", opt)
                    .ema("generator", ema).seed("train", SEED);
            c.meta().put("stage", "toy");
            return c;
        }

        void restore(SavedCheckpoint c) {
            c.restoreParams("generator", params);
            c.restoreOptimizer("generator", opt);
            c.restoreEma("generator", ema);
            step = c.step();
        }
    }

    @Test
    void resumeEqualsUninterruptedBitForBit(@TempDir Path dir) {
        Toy straight = new Toy();
        straight.train(10);

        Toy first = new Toy();
        first.train(4);
        Path saved = first.checkpoint().saveUnder(dir, 2);
        first.train(3); // diverge after the save: the resumed run must not see this
        Toy resumed = new Toy();
        SavedCheckpoint c = TrainCheckpoint.load(TrainCheckpoint.latest(dir).orElseThrow());
        assertEquals(saved, c.dir());
        assertEquals(4, c.step());
        assertEquals(SEED, c.seed("train"));
        assertEquals("toy", c.meta().path("stage").asText());
        resumed.restore(c);
        resumed.train(6);

        for (Param p : straight.params) {
            assertArrayEquals(p.value(), resumed.params.get(p.name()).value(), p.name());
            assertArrayEquals(straight.opt.expAvgSq(p.name()), resumed.opt.expAvgSq(p.name()));
            assertArrayEquals(straight.ema.shadow(p.name()), resumed.ema.shadow(p.name()));
        }
        assertEquals(straight.opt.steps(), resumed.opt.steps());
        // A resume without the optimizer state would differ: the test can fail.
        Toy noOpt = new Toy();
        c.restoreParams("generator", noOpt.params);
        noOpt.step = c.step();
        noOpt.train(6);
        assertFalse(java.util.Arrays.equals(straight.params.all().getFirst().value(), noOpt.params.all().getFirst().value()));
    }

    @Test
    void keepsOnlyTheNewestAndIgnoresPartialDirectories(@TempDir Path dir) throws IOException {
        Toy t = new Toy();
        for (int i = 0; i < 4; i++) {
            t.train(1);
            t.checkpoint().saveUnder(dir, 2);
        }
        Files.createDirectories(dir.resolve("step-00000099")); // no state.json: an incomplete directory
        try (var s = Files.list(dir)) {
            assertEquals(3, s.count());
        }
        assertEquals(dir.resolve("step-00000004"), TrainCheckpoint.latest(dir).orElseThrow());
        assertTrue(TrainCheckpoint.latest(dir.resolve("none")).isEmpty());
    }

    @Test
    void truncatedOrCorruptCheckpointsFailClearly(@TempDir Path dir) throws IOException {
        Toy t = new Toy();
        t.train(2);
        Path c = t.checkpoint().saveUnder(dir, 3);
        Path params = c.resolve("params-generator.safetensors");
        long size = Files.size(params);
        try (RandomAccessFile f = new RandomAccessFile(params.toFile(), "rw")) {
            f.setLength(size - 7);
        }
        var e = assertThrows(CheckpointException.class, () -> TrainCheckpoint.load(c));
        assertTrue(e.getMessage().contains("params-generator.safetensors") && e.getMessage().contains("truncated"), e.getMessage());

        Path c2 = t.checkpoint().saveUnder(dir, 3);
        Path ema = c2.resolve("ema-generator.safetensors");
        byte[] bytes = Files.readAllBytes(ema);
        bytes[bytes.length - 3] ^= 0x40;
        Files.write(ema, bytes);
        e = assertThrows(CheckpointException.class, () -> TrainCheckpoint.load(c2));
        assertTrue(e.getMessage().contains("CRC32") && e.getMessage().contains("damaged"), e.getMessage());

        Files.writeString(c2.resolve(TrainCheckpoint.STATE_FILE), "{\"format\": 1, \"st");
        e = assertThrows(CheckpointException.class, () -> TrainCheckpoint.load(c2));
        assertTrue(e.getMessage().contains("state.json") && e.getMessage().contains("corrupt"), e.getMessage());

        e = assertThrows(CheckpointException.class, () -> TrainCheckpoint.load(dir.resolve("nothing")));
        assertTrue(e.getMessage().contains("no such checkpoint"), e.getMessage());
    }

    @Test
    void restoreRefusesAModelWithOtherTensors(@TempDir Path dir) {
        Toy t = new Toy();
        SavedCheckpoint c = TrainCheckpoint.load(t.checkpoint().saveUnder(dir, 1));
        ParamSet other = new ParamSet();
        other.add("blocks.0.ffn.0.weight", new float[12], 4, 3);
        other.add("blocks.0.ffn.0.bias", new float[5], 5);
        var e = assertThrows(CheckpointException.class, () -> c.restoreParams("generator", other));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
        ParamSet fewer = t.params.subset(n -> n.endsWith("weight"));
        e = assertThrows(CheckpointException.class, () -> c.restoreParams("generator", fewer));
        assertTrue(e.getMessage().contains("unexpected [blocks.0.ffn.0.bias]"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> c.restoreParams("critic", t.params));
        assertTrue(e.getMessage().contains("no params part 'critic'"), e.getMessage());
    }
}
