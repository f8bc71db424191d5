package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code .pth} route ({@code Wan2.1_VAE.pth} is a {@code torch.save}d state dict): the golden weights written
 * in torch's zip format by a minimal writer here load to the same model and decode to the same video.
 */
class WanVaePthTest {

    @Test
    void pthAndSafetensorsLoadTheSameModel(@TempDir Path tmp) throws Exception {
        Path dir = Golden.dir("vae/decode");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (StateDict sd = SafeTensors.load(dir.resolve("vae.safetensors"))) {
            for (String n : sd.names()) tensors.put(n, sd.tensor(n));
        }
        Path pth = tmp.resolve("Wan2.1_VAE.pth");
        writeTorchZip(tensors, pth);
        VaeConfig c = VaeConfig.fromJson(dir.resolve("vae_config.json"));
        VaeWeights a = WanVaeCheckpoint.load(dir.resolve("vae.safetensors"), c), b = WanVaeCheckpoint.load(pth, c);
        assertArrayEquals(a.decoder().head().weight(), b.decoder().head().weight());
        Tensor latents;
        float[] mean, std;
        try (StateDict in = SafeTensors.load(dir.resolve("inputs.safetensors"))) {
            latents = in.tensor("latents");
            mean = in.tensor("mean").data();
            std = in.tensor("std").data();
        }
        try (Parallel par = new Parallel(2)) {
            // scalar kernels: bit-reproducible, so any difference can only come from the loaded weights
            VaeKernels k = VaeKernels.scalar(par);
            LatentStats s = new LatentStats(mean, std);
            assertArrayEquals(new WanVae(a, k).decode(latents, s).data(), new WanVae(b, k).decode(latents, s).data());
        }
        assertTrue(Files.size(pth) > 0);
    }

    /** {@code torch.save(state_dict)} layout: zip of archive/data.pkl (protocol 2), archive/data/<i>, byteorder. */
    static void writeTorchZip(Map<String, Tensor> tensors, Path file) throws IOException {
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(new byte[] {(byte) 0x80, 2, '}', '('});
        int key = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            str(pkl, e.getKey());
            global(pkl, "torch._utils", "_rebuild_tensor_v2");
            pkl.write('(');
            pkl.write('(');                                // persistent id ('storage', FloatStorage, key, 'cpu', numel)
            str(pkl, "storage");
            global(pkl, "torch", "FloatStorage");
            str(pkl, Integer.toString(key++));
            str(pkl, "cpu");
            intOp(pkl, t.size());
            pkl.write('t');
            pkl.write('Q');
            intOp(pkl, 0);                                 // storage offset
            pkl.write('(');
            for (int d : t.shape()) intOp(pkl, d);
            pkl.write('t');
            pkl.write('(');
            int stride = 1;
            int[] strides = new int[t.rank()];
            for (int i = t.rank() - 1; i >= 0; i--) {
                strides[i] = stride;
                stride *= t.dim(i);
            }
            for (int s : strides) intOp(pkl, s);
            pkl.write('t');
            pkl.write(0x89);                               // requires_grad False
            global(pkl, "collections", "OrderedDict");
            pkl.write(')');
            pkl.write('R');
            pkl.write('t');
            pkl.write('R');
        }
        pkl.write('u');
        pkl.write('.');
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            stored(zip, "archive/data.pkl", pkl.toByteArray());
            stored(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            key = 0;
            for (Tensor t : tensors.values()) {
                ByteBuffer bb = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : t.data()) bb.putFloat(v);
                stored(zip, "archive/data/" + key++, bb.array());
            }
            stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static void str(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        o.write('X');
        o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        o.writeBytes(b);
    }

    private static void global(ByteArrayOutputStream o, String module, String name) {
        o.write('c');
        o.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void intOp(ByteArrayOutputStream o, int v) {
        o.write('J');
        o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }
}
