package longlive.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.SafeTensorsWriter;
import longlive.io.StateDict;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReplayCommandTest {
    @Test
    void writesTheLatentsOfACase(@TempDir Path tmp) throws Exception {
        Path dir = Golden.dir("dit/two_switches"), out = tmp.resolve("out.safetensors");
        int code = new CommandLine(new ReplayCommand()).execute(dir.toString(), out.toString(), "--threads", "2");
        assertEquals(0, code);
        try (StateDict got = SafeTensors.load(out); StateDict exp = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            assertEquals(java.util.Set.of("latents"), got.names());
            Tensor ref = exp.tensor("latents");
            assertTrue(Golden.relError(got.tensor("latents", ref.shape()).data(), ref.data()) <= 1e-3);
        }
    }

    @Test
    void refusesABrokenCheckpointNamingTheTensors(@TempDir Path tmp) throws Exception {
        Path src = Golden.dir("dit/no_switch"), dir = tmp.resolve("case");
        Files.createDirectories(dir);
        for (String f : new String[] {"config.json", "schedule.json", "inputs.safetensors"})
            Files.copy(src.resolve(f), dir.resolve(f));
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (StateDict sd = SafeTensors.load(src.resolve("model.safetensors"))) {
            for (String n : sd.names()) if (!n.equals("blocks.1.self_attn.norm_k.weight")) m.put(n, sd.tensor(n));
        }
        m.put("blocks.0.ffn.0.bias", Tensor.zeros(7));
        m.put("lora.unexpected", Tensor.zeros(2));
        SafeTensorsWriter w = new SafeTensorsWriter();
        m.forEach(w::add);
        w.write(dir.resolve("model.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReplayCase.read(dir));
        for (String name : new String[] {"blocks.1.self_attn.norm_k.weight", "blocks.0.ffn.0.bias", "lora.unexpected"})
            assertTrue(e.getMessage().contains(name), "should name " + name + ": " + e.getMessage());
    }

    @Test
    void refusesInconsistentInputs(@TempDir Path tmp) throws Exception {
        Path src = Golden.dir("dit/no_switch"), dir = tmp.resolve("case");
        Files.createDirectories(dir);
        for (String f : new String[] {"config.json", "model.safetensors", "inputs.safetensors"})
            Files.copy(src.resolve(f), dir.resolve(f));
        // one prompt but a switch index
        Files.writeString(dir.resolve("schedule.json"), "{\"switch_frame_indices\": [9]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReplayCase.read(dir));
        assertTrue(e.getMessage().contains("switch_frame_indices"), e.getMessage());
        Files.writeString(dir.resolve("schedule.json"), "{\"local_attn_size\": 4, \"sink_size\": 3}");
        e = assertThrows(IllegalArgumentException.class, () -> ReplayCase.read(dir));
        assertTrue(e.getMessage().contains("local_attn_size"), e.getMessage());
    }
}
