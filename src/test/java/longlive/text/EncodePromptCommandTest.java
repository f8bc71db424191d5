package longlive.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.UmT5Checkpoint;
import longlive.kernel.Parallel;
import longlive.text.tokenizer.UnigramTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EncodePromptCommandTest {
    @Test
    void writesPromptEmbedsIdsAndMask(@TempDir Path tmp) throws Exception {
        T5Weights w = T5Weights.random(TextEncoderTest.CONFIG, 9, Parallel.serial());
        Path ckpt = tmp.resolve("t5.safetensors"), out = tmp.resolve("prompts.safetensors");
        UmT5Checkpoint.save(w, ckpt);
        Path tj = TextEncoderTest.tokenizerJson();
        int code = new CommandLine(new EncodePromptCommand()).execute("--t5", ckpt.toString(), "--tokenizer",
                tj.toString(), "--text-len", "16", "--threads", "1", "-o", out.toString(), "a cat", "two cats");
        assertEquals(0, code);
        TextEncoder ref = new TextEncoder(UnigramTokenizer.load(tj, 16), new T5Encoder(w, T5Kernels.scalar(
                Parallel.serial())), new PromptEmbeddingCache(2));
        try (StateDict sd = SafeTensors.load(out)) {
            float[] e = sd.tensor("prompt_embeds", 2, 16, 32).data();
            float[] second = ref.encode("two cats").data();
            for (int i = 0; i < second.length; i++) assertEquals(second[i], e[16 * 32 + i], 1e-5f);
            assertArrayEquals(ref.tokenizer().encode("a cat").ids(), java.util.Arrays.copyOf(sd.longs("token_ids"), 16));
            assertEquals(2 * 16, sd.longs("mask").length);
        }
    }

    @Test
    void benchModeTimesRandomWeightsWithoutFiles(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("t5_config.json");
        java.nio.file.Files.writeString(cfg, "{\"vocab_size\": 64, \"dim\": 32, \"dim_attn\": 24, \"dim_ffn\": 48,"
                + " \"num_heads\": 3, \"num_layers\": 2, \"num_buckets\": 16, \"shared_pos\": false}");
        var buf = new java.io.ByteArrayOutputStream();
        var old = System.out;
        int code;
        try {
            System.setOut(new java.io.PrintStream(buf, true));
            code = new CommandLine(new EncodePromptCommand()).execute("--random", cfg.toString(), "--text-len", "24",
                    "--threads", "1", "--bench-tokens", "5,24", "--repeat", "2");
        } finally {
            System.setOut(old);
        }
        String text = buf.toString();
        assertEquals(0, code, text);
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("matrices held in bf16")
                && text.contains(" 5 real tokens (of 24)") && text.contains("24 real tokens (of 24)")
                && text.contains("peak RSS (VmHWM)"), text);
        // neither or both of --t5 / --random is an error, as is a length past --text-len
        var cmd = new CommandLine(new EncodePromptCommand());
        cmd.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        org.junit.jupiter.api.Assertions.assertNotEquals(0, cmd.execute("--bench-tokens", "5"));
        org.junit.jupiter.api.Assertions.assertNotEquals(0, cmd.execute("--random", cfg.toString(), "--text-len", "8",
                "--bench-tokens", "9"));
    }
}
