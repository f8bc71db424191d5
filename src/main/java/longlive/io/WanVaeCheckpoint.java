package longlive.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import longlive.tensor.Tensor;
import longlive.vae.VaeConfig;
import longlive.vae.VaeWeights;

/**
 * Wan-VAE checkpoint keys ({@code WanVAE_.state_dict()}: {@code Wan2.1_VAE.pth}, or the same names in a
 * safetensors file) to and from {@link VaeWeights}. The only place these key strings exist.
 *
 * <p>Names follow the reference modules: {@code encoder.conv1}, {@code encoder.downsamples.<i>},
 * {@code encoder.middle.<i>}, {@code encoder.head.{0,2}}, {@code conv1}, {@code conv2}, {@code decoder.conv1},
 * {@code decoder.middle.<i>}, {@code decoder.upsamples.<i>}, {@code decoder.head.{0,2}}; inside a residual block
 * {@code residual.{0,3}.gamma} [C, 1, 1, 1], {@code residual.{2,6}.*} (Conv3d), {@code shortcut.*}; an attention
 * block {@code norm.gamma} [C, 1, 1], {@code to_qkv.*}, {@code proj.*} (Conv2d 1x1); a resample
 * {@code resample.1.*} (Conv2d 3x3), {@code time_conv.*} (Conv3d (3, 1, 1)). Conv weights are converted from
 * PyTorch's {@code [out, in, (kt,) kh, kw]} to the taps-major layout of {@link VaeWeights.Conv}.
 */
public final class WanVaeCheckpoint {
    private WanVaeCheckpoint() {}

    /** One checkpoint tensor: its key, its shape, and where it goes. */
    private record Entry(String key, int[] shape, VaeWeights.Conv conv, boolean isBias, float[] gamma) {}

    private static List<Entry> entries(VaeWeights w) {
        List<Entry> out = new ArrayList<>();
        VaeWeights.Encoder e = w.encoder();
        conv3d(out, "encoder.conv1", e.conv1());
        layers(out, "encoder.downsamples.", e.downsamples());
        layers(out, "encoder.middle.", e.middle());
        gamma(out, "encoder.head.0.gamma", e.headNorm(), 3);
        conv3d(out, "encoder.head.2", e.head());
        conv3d(out, "conv1", w.conv1());
        conv3d(out, "conv2", w.conv2());
        VaeWeights.Decoder d = w.decoder();
        conv3d(out, "decoder.conv1", d.conv1());
        layers(out, "decoder.middle.", d.middle());
        layers(out, "decoder.upsamples.", d.upsamples());
        gamma(out, "decoder.head.0.gamma", d.headNorm(), 3);
        conv3d(out, "decoder.head.2", d.head());
        return out;
    }

    private static void layers(List<Entry> out, String prefix, List<VaeWeights.Layer> layers) {
        for (int i = 0; i < layers.size(); i++) {
            String p = prefix + i + ".";
            switch (layers.get(i)) {
                case VaeWeights.ResBlock r -> {
                    gamma(out, p + "residual.0.gamma", r.norm1(), 3);
                    conv3d(out, p + "residual.2", r.conv1());
                    gamma(out, p + "residual.3.gamma", r.norm2(), 3);
                    conv3d(out, p + "residual.6", r.conv2());
                    if (r.shortcut() != null) conv3d(out, p + "shortcut", r.shortcut());
                }
                case VaeWeights.Attn a -> {
                    gamma(out, p + "norm.gamma", a.norm(), 2);
                    conv2d(out, p + "to_qkv", a.toQkv());
                    conv2d(out, p + "proj", a.proj());
                }
                case VaeWeights.Resample s -> {
                    conv2d(out, p + "resample.1", s.conv());
                    if (s.timeConv() != null) conv3d(out, p + "time_conv", s.timeConv());
                }
            }
        }
    }

    private static void conv3d(List<Entry> out, String prefix, VaeWeights.Conv c) {
        out.add(new Entry(prefix + ".weight", c.torchShape(), c, false, null));
        out.add(new Entry(prefix + ".bias", new int[] {c.out()}, c, true, null));
    }

    private static void conv2d(List<Entry> out, String prefix, VaeWeights.Conv c) {
        out.add(new Entry(prefix + ".weight", new int[] {c.out(), c.in(), c.kh(), c.kw()}, c, false, null));
        out.add(new Entry(prefix + ".bias", new int[] {c.out()}, c, true, null));
    }

    /** RMS_norm gamma {@code [C, 1, 1, 1]} (3-d features) or {@code [C, 1, 1]} (attention, images). */
    private static void gamma(List<Entry> out, String key, float[] g, int ones) {
        int[] shape = new int[1 + ones];
        java.util.Arrays.fill(shape, 1);
        shape[0] = g.length;
        out.add(new Entry(key, shape, null, false, g));
    }

    /** Every key of a Wan-VAE with config {@code c} and its shape, in module order (builds a zero model: not free). */
    public static Map<String, int[]> expectedShapes(VaeConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (Entry e : entries(VaeWeights.zeros(c))) m.put(e.key(), e.shape());
        return m;
    }

    /**
     * Opens {@code file} ({@code .safetensors}, or a {@code torch.save} file such as {@code Wan2.1_VAE.pth}, whose
     * top-level value is the state dict) and loads it.
     */
    public static VaeWeights load(Path file, VaeConfig c) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        try (StateDict sd = name.endsWith(".safetensors") ? SafeTensors.load(file) : TorchCheckpoint.load(file)) {
            return load(sd, c);
        }
    }

    /**
     * Builds the weights from a state dict holding exactly the keys of {@link #expectedShapes}; a missing,
     * unexpected or mis-shaped tensor is refused with a {@link CheckpointException} listing them all.
     */
    public static VaeWeights load(StateDict sd, VaeConfig c) {
        VaeWeights w = VaeWeights.zeros(c);
        List<Entry> entries = entries(w);
        Map<String, int[]> expected = new LinkedHashMap<>();
        for (Entry e : entries) expected.put(e.key(), e.shape());
        sd.requireExactly(expected);
        for (Entry e : entries) {
            float[] src = sd.tensor(e.key()).data();
            for (float v : src)
                if (!Float.isFinite(v))
                    throw new CheckpointException(sd.source() + ": tensor '" + e.key() + "' holds a non-finite value (" + v + ")");
            if (e.gamma() != null) System.arraycopy(src, 0, e.gamma(), 0, src.length);
            else if (e.isBias()) System.arraycopy(src, 0, e.conv().bias(), 0, src.length);
            else e.conv().setFromTorch(src);
        }
        return w;
    }

    /**
     * A tensor of a model under its reference key, as the model stores it: {@code data} is the LIVE array (not a
     * copy) and {@code shape} its layout there (conv weights are taps-major {@code [out, kt, kh, kw, in]}, not the
     * checkpoint's PyTorch layout; {@link #save} converts). For training code that registers parameters by name.
     */
    public record NamedTensor(String key, float[] data, int[] shape) {}

    /** Every tensor of {@code w} with its reference key, in module order (see {@link NamedTensor}). */
    public static List<NamedTensor> tensors(VaeWeights w) {
        List<NamedTensor> out = new ArrayList<>();
        for (Entry e : entries(w)) {
            if (e.gamma() != null) out.add(new NamedTensor(e.key(), e.gamma(), new int[] {e.gamma().length}));
            else if (e.isBias()) out.add(new NamedTensor(e.key(), e.conv().bias(), new int[] {e.conv().out()}));
            else {
                VaeWeights.Conv c = e.conv();
                out.add(new NamedTensor(e.key(), c.weight(), new int[] {c.out(), c.kt(), c.kh(), c.kw(), c.in()}));
            }
        }
        return out;
    }

    /** Writes {@code w} as a safetensors file with the reference key names (float32, PyTorch layouts). */
    public static void save(VaeWeights w, Path file) {
        SafeTensorsWriter out = new SafeTensorsWriter();
        for (Entry e : entries(w)) {
            float[] data = e.gamma() != null ? e.gamma() : e.isBias() ? e.conv().bias() : e.conv().toTorch();
            out.add(e.key(), Tensor.of(data, e.shape()));
        }
        out.write(file);
    }
}
