package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.pipeline.ModelDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage 5: streaming long tuning trains only LoRA, resumes exactly, exports a merged model and a PEFT file. */
class LongTuningTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @TempDir
    static Path shared;
    static Path teacher;

    @BeforeAll
    static void trainTeacher() throws Exception {
        teacher = TinyTeacher.make(shared);
    }

    private static LongTuning.Options options(Path run, long steps) {
        return new LongTuning.Options(teacher, teacher, null, run, 6, 3, 3, true, 3.0, 2, 4, 4, 1e-3, 5e-4, steps, 10.0, 3, 1);
    }

    @Test
    void resumesExactlyAndExportsMergedWeightsAndPeftLora() throws Exception {
        Path a = shared.resolve("a"), b = shared.resolve("b");
        LongTuning whole = new LongTuning(options(a, 2), QUIET);
        new Trainer().run(whole, new Trainer.Options(a, 2, 100, 2, true, 100), new ProgressPrinter(QUIET, 2, 100), false);
        Path exported = whole.export(2, 0);
        whole.close();
        LongTuning first = new LongTuning(options(b, 2), QUIET);
        new Trainer().run(first, new Trainer.Options(b, 1, 100, 2, true, 100), new ProgressPrinter(QUIET, 1, 100), false);
        first.close();
        LongTuning second = new LongTuning(options(b, 2), QUIET);
        new Trainer().run(second, new Trainer.Options(b, 2, 100, 2, true, 100), new ProgressPrinter(QUIET, 2, 100), false);
        second.export(2, 0);
        second.close();
        for (String key : List.of("blocks.0.self_attn.q.weight", "blocks.0.ffn.2.weight"))
            assertArrayEquals(TinyTeacher.tensor(a.resolve("long/dit/model.safetensors"), key), TinyTeacher.tensor(b.resolve("long/dit/model.safetensors"), key),
                    key + ": resumed run differs");

        ModelDirectory md = ModelDirectory.open(exported);
        assertEquals("shapes-student-long", md.name());
        md.loadDit(new longlive.kernel.ScalarMatMul(longlive.kernel.Parallel.serial()));
        // only the adapted linears moved; everything else is the student's
        assertArrayEquals(TinyTeacher.tensor(teacher.resolve("dit/model.safetensors"), "head.head.weight"),
                TinyTeacher.tensor(exported.resolve("dit/model.safetensors"), "head.head.weight"), "a non-LoRA weight changed");
        float[] q0 = TinyTeacher.tensor(teacher.resolve("dit/model.safetensors"), "blocks.0.self_attn.q.weight");
        float[] q1 = TinyTeacher.tensor(exported.resolve("dit/model.safetensors"), "blocks.0.self_attn.q.weight");
        assertTrue(!java.util.Arrays.equals(q0, q1), "the LoRA did not change the merged q weight");
        try (StateDict lora = SafeTensors.load(exported.resolve("lora.safetensors"))) {
            assertTrue(lora.names().contains("base_model.model.blocks.0.self_attn.q.lora_A.weight"), lora.names().toString());
        }
        assertTrue(Files.readString(a.resolve("long_summary.json")).replace(" ", "").contains("\"lora_rank\":4"));
    }

    @Test
    void switchChunkIsInsideTheSequence() throws Exception {
        LongTuning t = new LongTuning(options(shared.resolve("sw"), 1), QUIET);
        for (long s = 0; s < 50; s++) {
            int k = t.switchChunk(s);
            assertTrue(k >= 1 && k <= 2, "switch at chunk " + k);
        }
        t.close();
    }

    @Test
    void refusesAChunkLongerThanTheWindow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LongTuning.Options(teacher, teacher, null, shared, 6, 9, 3, true, 3.0, 2, 4, 4, 1e-3, 5e-4, 1, 10.0, 3, 1));
        assertTrue(e.getMessage().contains("chunk <= judge"), e.getMessage());
    }
}
