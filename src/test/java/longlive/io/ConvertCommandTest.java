package longlive.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import longlive.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConvertCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof longlive.cli.UserFacingException) {
                cmd.getErr().println(ex.getMessage());
                return 2;
            }
            throw ex;
        });
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void convertsLongLiveCheckpointWithLoraToWanNames() throws IOException {
        Path out = dir.resolve("gen.safetensors");
        JsonNode want = TorchCheckpointTest.expected("lora.pt");
        Run r = run("convert", TorchCheckpointTest.fixture("longlive_like.pt").toString(), out.toString(),
                "--lora", TorchCheckpointTest.fixture("lora.pt").toString(), "--lora-alpha", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("22 tensors") && r.out().contains("merged LoRA") && r.out().contains("10 modules")
                && r.out().contains("r=4, alpha=8, scale 2"), r.out());
        try (SafeTensors st = SafeTensors.open(out)) {
            assertEquals("longlive_like.pt", st.metadata().get("source"));
            assertTrue(st.names().contains("blocks.0.ffn.0.weight") && st.names().contains("head.modulation"), st.names().toString());
            assertTrue(st.names().stream().noneMatch(n -> n.startsWith("model.")));
            assertEquals(DType.F32, st.get("head.modulation").dtype());
            float[] got = st.get("blocks.0.cross_attn.o.weight").toFloat().data();
            JsonNode v = want.get("merged/blocks.0.cross_attn.o.weight").get("values");
            for (int i = 0; i < got.length; i++) assertEquals(v.get(i).doubleValue(), got[i], 1e-5 * (1 + Math.abs(v.get(i).doubleValue())));
        }
        // refuses to overwrite, then replaces with --force (EMA weights, FSDP segments removed)
        Run again = run("convert", TorchCheckpointTest.fixture("longlive_like.pt").toString(), out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("exists (use --force"), again.err());
        Run ema = run("convert", TorchCheckpointTest.fixture("longlive_like.pt").toString(), out.toString(),
                "--key", "generator_ema", "--force");
        assertEquals(0, ema.code(), ema.err());
        JsonNode w = TorchCheckpointTest.expected("longlive_like.pt").get("generator_ema/model._fsdp_wrapped_module.head.modulation");
        try (StateDict sd = SafeTensors.load(out)) {
            float[] got = sd.tensor("head.modulation").data();
            for (int i = 0; i < got.length; i++) assertEquals((float) w.get("values").get(i).doubleValue(), got[i]);
        }
    }

    @Test
    void refusesBadInputsWithoutLeavingAFile() throws IOException {
        Path out = dir.resolve("x.safetensors");
        String in = TorchCheckpointTest.fixture("longlive_like.pt").toString();
        Run r = run("convert", in, out.toString(), "--key", "critic");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no key 'critic'") && r.err().contains("generator_ema"), r.err());
        r = run("convert", TorchCheckpointTest.fixture("malicious_system.pt").toString(), out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("posix.system"), r.err());
        r = run("convert", in, out.toString(), "--lora", TorchCheckpointTest.fixture("lora.pt").toString(), "--lora-key", "critic_lora",
                "--strip-prefix", "");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no base weight blocks.0.self_attn.q.weight"), r.err());
        r = run("convert", dir.resolve("none.pt").toString(), out.toString());
        assertEquals(2, r.code());
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "no partial outputs");
        }
    }

    @Test
    void convertsAPlainStateDictKeepingIntegerBuffers() throws IOException {
        Path out = dir.resolve("plain.safetensors");
        Run r = run("convert", TorchCheckpointTest.fixture("plain.pt").toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        try (StateDict sd = SafeTensors.load(out)) {
            assertEquals(7, sd.size());
            assertEquals(DType.I64, sd.ref("num_batches_tracked").dtype());
            assertArrayEquals(new long[] {1, -2, 3}, sd.longs("ids"));
            assertArrayEquals(new int[] {1, 3}, sd.shape("ids"));
            assertEquals(DType.F32, sd.ref("half").dtype());
        }
    }
}
