package longlive.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import longlive.io.DType;
import longlive.io.SafeTensors;
import longlive.io.SafeTensorsWriter;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.RandomModel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PackCommandTest {
    @TempDir
    Path tmp;

    private Path trainedLikeModel() throws IOException {
        Path m = RandomModel.write(tmp.resolve("long"), "tiny", 3, 0, 0, Parallel.serial());
        new SafeTensorsWriter().add("extra", Tensor.of(new float[] {1, 2}, 2)).write(m.resolve("lora.safetensors"));
        return m;
    }

    private static int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new TrainCommand());
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }

    private static List<String> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
    }

    @Test
    void bf16PackKeepsOnlyWhatInferenceReadsAtHalfTheSize() throws IOException {
        Path m = trainedLikeModel(), out = tmp.resolve("models/default");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, "pack", "--model", m.toString(), "-o", out.toString(), "--bf16"), err::toString);
        assertEquals(PackCommand.FILES.stream().sorted().toList(), files(out), "no lora.safetensors, nothing missing");
        for (String f : PackCommand.FILES) {
            if (!f.endsWith(".safetensors")) {
                assertEquals(Files.readString(m.resolve(f)), Files.readString(out.resolve(f)), f);
                continue;
            }
            try (SafeTensors a = SafeTensors.open(m.resolve(f)); SafeTensors b = SafeTensors.open(out.resolve(f))) {
                assertEquals(a.names(), b.names(), f);
                for (String n : a.names()) {
                    assertEquals(DType.BF16, b.get(n).dtype(), n);
                    float[] x = a.get(n).toFloat().data(), y = b.get(n).toFloat().data();
                    for (int i = 0; i < x.length; i++)
                        assertEquals(x[i], y[i], Math.abs(x[i]) / 256 + 1e-30, n + "[" + i + "]");
                }
            }
            assertTrue(Files.size(out.resolve(f)) < 0.55 * Files.size(m.resolve(f)), f + " about half the size");
        }
        ModelDirectory.open(out);
    }

    @Test
    void plainPackCopiesTheWeightsBitForBit() throws IOException {
        Path m = trainedLikeModel(), out = tmp.resolve("plain");
        assertEquals(0, run(new StringWriter(), "pack", "--model", m.toString(), "-o", out.toString()));
        for (String f : PackCommand.FILES)
            assertEquals(-1L, Files.mismatch(m.resolve(f), out.resolve(f)), f);
    }

    @Test
    void refusesToReplaceWithoutForceAndKeepsTheOldModelWhenTheSourceIsBroken() throws IOException {
        Path m = trainedLikeModel(), out = tmp.resolve("default");
        assertEquals(0, run(new StringWriter(), "pack", "--model", m.toString(), "-o", out.toString()));
        StringWriter err = new StringWriter();
        assertNotEquals(0, run(err, "pack", "--model", m.toString(), "-o", out.toString()));
        assertTrue(err.toString().contains("already exists"), err.toString());

        Path broken = tmp.resolve("broken");
        ModelExport.copy(m, broken);
        byte[] dit = Files.readAllBytes(broken.resolve("dit/model.safetensors"));
        Files.write(broken.resolve("dit/model.safetensors"), java.util.Arrays.copyOf(dit, dit.length / 2));
        List<String> before = files(out);
        byte[] oldDit = Files.readAllBytes(out.resolve("dit/model.safetensors"));
        err = new StringWriter();
        assertNotEquals(0, run(err, "pack", "--model", broken.toString(), "-o", out.toString(), "--bf16", "--force"));
        assertTrue(err.toString().contains("dit/model.safetensors") || err.toString().contains("model.safetensors"), err.toString());
        assertEquals(before, files(out), "the model already there is untouched");
        assertEquals(-1L, Files.mismatch(out.resolve("dit/model.safetensors"), writeTo(oldDit)));
        try (Stream<Path> s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().contains(".packing-")), "no temporary directory left");
        }
    }

    private Path writeTo(byte[] bytes) throws IOException {
        Path p = Files.createTempFile(tmp, "old", ".safetensors");
        Files.write(p, bytes);
        return p;
    }

    @Test
    void theReadBackCheckCatchesAValueThatMovedMoreThanRounding() {
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors"), c = tmp.resolve("c.safetensors");
        new SafeTensorsWriter().add("w", Tensor.of(new float[] {1f, -0.3367736f}, 2)).write(a);
        new SafeTensorsWriter().addBf16("w", new int[] {2}, () -> Tensor.of(new float[] {1f, -0.3367736f}, 2)).write(b);
        new SafeTensorsWriter().add("w", Tensor.of(new float[] {1f, -0.34f}, 2)).write(c);
        assertTrue(PackCommand.compare(a, b) > 0, "bf16 rounding is seen and accepted");
        var e = org.junit.jupiter.api.Assertions.assertThrows(longlive.io.CheckpointException.class, () -> PackCommand.compare(a, c));
        assertTrue(e.getMessage().contains("'w' value 1"), e.getMessage());
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, SafeTensorsWriter.toBf16(1.0f));
        assertEquals((short) 0x3F80, SafeTensorsWriter.toBf16(1.0f + 0x1p-8f), "a tie goes to the even neighbour");
        assertEquals((short) 0x3F82, SafeTensorsWriter.toBf16(1.0f + 3 * 0x1p-8f), "a tie goes to the even neighbour");
        assertEquals((short) 0x3F81, SafeTensorsWriter.toBf16(1.0f + 0x1p-8f + 0x1p-20f), "above the tie rounds up");
        assertEquals((short) 0xBF80, SafeTensorsWriter.toBf16(-1.0f));
        assertEquals((short) 0x7F80, SafeTensorsWriter.toBf16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x7F80, SafeTensorsWriter.toBf16(Float.MAX_VALUE), "overflow rounds to infinity");
        assertTrue(Float.isNaN(Float.intBitsToFloat(SafeTensorsWriter.toBf16(Float.NaN) << 16)));
        assertEquals(0, SafeTensorsWriter.toBf16(0f));
    }
}
