package longlive.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * All parameters of a Wan-VAE ({@code WanVAE_}: encoder, the 1x1x1 {@code conv1} after it, the 1x1x1 {@code conv2}
 * before the decoder, decoder), as typed fields. Checkpoint key names live in {@code longlive.io.WanVaeCheckpoint}.
 *
 * <p>Layer lists mirror the reference {@code nn.Sequential}s one to one ({@code encoder.downsamples},
 * {@code decoder.upsamples}, the {@code middle}s), so list index i is the reference's module index i.
 *
 * @param conv1 {@code [2 z, 2 z]} 1x1x1 conv on the encoder output (mu, log_var)
 * @param conv2 {@code [z, z]} 1x1x1 conv on the de-normalized latents before the decoder
 */
public record VaeWeights(VaeConfig config, Encoder encoder, Conv conv1, Conv conv2, Decoder decoder) {

    /**
     * A convolution's parameters. The weight is stored TAPS-MAJOR, {@code [out, kt, kh, kw, in]} (input channel
     * fastest), which is the row layout of the im2col GEMM over channels-last activations; the checkpoint's
     * PyTorch layout {@code [out, in, kt, kh, kw]} is converted by {@link #setFromTorch} / {@link #toTorch}.
     * A Conv2d is a Conv with {@code kt = 1}. A gradient would have this same layout.
     */
    public record Conv(int out, int in, int kt, int kh, int kw, float[] weight, float[] bias) {
        public Conv {
            if (out < 1 || in < 1 || kt < 1 || kh < 1 || kw < 1)
                throw new IllegalArgumentException("Conv: bad shape [" + out + ", " + in + ", " + kt + ", " + kh + ", " + kw + "]");
            if (weight.length != out * in * kt * kh * kw || bias.length != out)
                throw new IllegalArgumentException("Conv [" + out + ", " + in + ", " + kt + ", " + kh + ", " + kw
                        + "]: weight has " + weight.length + " and bias " + bias.length + " elements");
        }

        public static Conv zeros(int out, int in, int kt, int kh, int kw) {
            return new Conv(out, in, kt, kh, kw, new float[out * in * kt * kh * kw], new float[out]);
        }

        /** {@code kt * kh * kw}. */
        public int taps() {
            return kt * kh * kw;
        }

        /** Columns of the GEMM: {@code taps * in}. */
        public int depth() {
            return taps() * in;
        }

        /** The PyTorch shape {@code [out, in, kt, kh, kw]} (a Conv2d checkpoint drops {@code kt}). */
        public int[] torchShape() {
            return new int[] {out, in, kt, kh, kw};
        }

        /** Copies {@code src} in PyTorch layout {@code [out, in, kt, kh, kw]} into {@link #weight()}. */
        public void setFromTorch(float[] src) {
            int taps = taps();
            if (src.length != weight.length)
                throw new IllegalArgumentException("Conv: torch weight has " + src.length + " elements, expected " + weight.length);
            for (int o = 0; o < out; o++)
                for (int c = 0; c < in; c++)
                    for (int t = 0; t < taps; t++)
                        weight[(o * taps + t) * in + c] = src[(o * in + c) * taps + t];
        }

        /** The weight in PyTorch layout {@code [out, in, kt, kh, kw]}. */
        public float[] toTorch() {
            int taps = taps();
            float[] dst = new float[weight.length];
            for (int o = 0; o < out; o++)
                for (int c = 0; c < in; c++)
                    for (int t = 0; t < taps; t++)
                        dst[(o * in + c) * taps + t] = weight[(o * taps + t) * in + c];
            return dst;
        }
    }

    /** One entry of an encoder/decoder {@code nn.Sequential}. */
    public sealed interface Layer permits ResBlock, Attn, Resample {}

    /**
     * {@code ResidualBlock}: {@code x + conv2(silu(norm2(conv1(silu(norm1(x))))))}, the skip through a 1x1x1
     * {@code shortcut} when the widths differ (null otherwise).
     *
     * @param norm1 RMS_norm gamma {@code [in]}
     * @param norm2 RMS_norm gamma {@code [out]}
     */
    public record ResBlock(float[] norm1, Conv conv1, float[] norm2, Conv conv2, Conv shortcut) implements Layer {
        public int in() {
            return conv1.in();
        }

        public int out() {
            return conv2.out();
        }
    }

    /**
     * {@code AttentionBlock}: single-head self-attention over the H x W positions of each frame.
     *
     * @param norm  RMS_norm gamma {@code [C]}
     * @param toQkv 1x1 conv {@code [3C, C]}: q, k, v are its output channel thirds in that order
     * @param proj  1x1 conv {@code [C, C]}
     */
    public record Attn(float[] norm, Conv toQkv, Conv proj) implements Layer {
        public int channels() {
            return proj.out();
        }
    }

    /**
     * {@code Resample}.
     *
     * @param conv     the spatial 3x3 conv ({@code resample.1}): {@code [C/2, C]} when upsampling, {@code [C, C]} down
     * @param timeConv the (3,1,1) time conv ({@code time_conv}): {@code [2C, C]} up, {@code [C, C]} down; null for 2d
     */
    public record Resample(ResampleMode mode, Conv conv, Conv timeConv) implements Layer {}

    /** {@code Encoder3d}: conv1 (3 -> dims[0]), downsamples, middle (res, attn, res), head (norm, SiLU, conv to 2z). */
    public record Encoder(Conv conv1, List<Layer> downsamples, List<Layer> middle, float[] headNorm, Conv head) {}

    /** {@code Decoder3d}: conv1 (z -> dims[0]), middle (res, attn, res), upsamples, head (norm, SiLU, conv to 3). */
    public record Decoder(Conv conv1, List<Layer> middle, List<Layer> upsamples, float[] headNorm, Conv head) {}

    /** All-zero weights with the structure of {@code c} (RMS_norm gammas are zero too; a loader fills them). */
    public static VaeWeights zeros(VaeConfig c) {
        int z = c.zDim();
        return new VaeWeights(c, encoder(c), Conv.zeros(2 * z, 2 * z, 1, 1, 1), Conv.zeros(z, z, 1, 1, 1), decoder(c));
    }

    private static Encoder encoder(VaeConfig c) {
        int[] dims = c.encoderDims();
        int levels = c.dimMult().size();
        List<Layer> down = new ArrayList<>();
        double scale = 1.0;
        int outDim = dims[0];
        for (int i = 0; i < levels; i++) {
            int inDim = dims[i];
            outDim = dims[i + 1];
            for (int r = 0; r < c.numResBlocks(); r++) {
                down.add(resBlock(inDim, outDim));
                if (c.attnScales().contains(scale)) down.add(attn(outDim));
                inDim = outDim;
            }
            if (i != levels - 1) {
                boolean t = c.temperalDownsample().get(i);
                down.add(new Resample(t ? ResampleMode.DOWNSAMPLE_3D : ResampleMode.DOWNSAMPLE_2D,
                        Conv.zeros(outDim, outDim, 1, 3, 3), t ? Conv.zeros(outDim, outDim, 3, 1, 1) : null));
                scale /= 2.0;
            }
        }
        return new Encoder(Conv.zeros(dims[0], 3, 3, 3, 3), List.copyOf(down), middle(outDim), new float[outDim],
                Conv.zeros(2 * c.zDim(), outDim, 3, 3, 3));
    }

    private static Decoder decoder(VaeConfig c) {
        int[] dims = c.decoderDims();
        int levels = c.dimMult().size();
        List<Boolean> tUp = c.temperalUpsample();
        List<Layer> up = new ArrayList<>();
        double scale = 1.0 / Math.pow(2, levels - 2); // Decoder3d: 1 / 2**(len(dim_mult) - 2)
        int outDim = dims[0];
        for (int i = 0; i < levels; i++) {
            int inDim = i == 0 ? dims[i] : dims[i] / 2; // the previous upsample halved the channels
            outDim = dims[i + 1];
            for (int r = 0; r < c.numResBlocks() + 1; r++) {
                up.add(resBlock(inDim, outDim));
                if (c.attnScales().contains(scale)) up.add(attn(outDim));
                inDim = outDim;
            }
            if (i != levels - 1) {
                boolean t = tUp.get(i);
                up.add(new Resample(t ? ResampleMode.UPSAMPLE_3D : ResampleMode.UPSAMPLE_2D,
                        Conv.zeros(outDim / 2, outDim, 1, 3, 3), t ? Conv.zeros(2 * outDim, outDim, 3, 1, 1) : null));
                scale *= 2.0;
            }
        }
        return new Decoder(Conv.zeros(dims[0], c.zDim(), 3, 3, 3), middle(dims[0]), List.copyOf(up), new float[outDim],
                Conv.zeros(3, outDim, 3, 3, 3));
    }

    private static List<Layer> middle(int d) {
        return List.of(resBlock(d, d), attn(d), resBlock(d, d));
    }

    private static ResBlock resBlock(int in, int out) {
        return new ResBlock(new float[in], Conv.zeros(out, in, 3, 3, 3), new float[out], Conv.zeros(out, out, 3, 3, 3),
                in == out ? null : Conv.zeros(out, in, 1, 1, 1));
    }

    private static Attn attn(int d) {
        return new Attn(new float[d], Conv.zeros(3 * d, d, 1, 1, 1), Conv.zeros(d, d, 1, 1, 1));
    }

    /**
     * Random weights for tests and benchmarks, drawn like the golden generator: conv weights N(0, 1/fan_in),
     * biases N(0, 0.05^2), RMS_norm gammas 1 + N(0, 0.2^2). Deterministic for a seed.
     */
    public static VaeWeights random(VaeConfig c, long seed) {
        VaeWeights w = zeros(c);
        SplittableRandom rnd = new SplittableRandom(seed);
        w.forEachParameter(new ParameterVisitor() {
            @Override
            public void conv(Conv conv) {
                double sd = 1.0 / Math.sqrt(conv.depth());
                for (int i = 0; i < conv.weight().length; i++) conv.weight()[i] = (float) (gauss(rnd) * sd);
                for (int i = 0; i < conv.bias().length; i++) conv.bias()[i] = (float) (gauss(rnd) * 0.05);
            }

            @Override
            public void gamma(float[] g) {
                for (int i = 0; i < g.length; i++) g[i] = (float) (1 + 0.2 * gauss(rnd));
            }
        });
        return w;
    }

    private static double gauss(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** Receives every parameter tensor (in module order). */
    public interface ParameterVisitor {
        void conv(Conv conv);

        void gamma(float[] gamma);
    }

    /** Visits every parameter: encoder, conv1, conv2, decoder, each in module order. */
    public void forEachParameter(ParameterVisitor v) {
        v.conv(encoder.conv1());
        visit(encoder.downsamples(), v);
        visit(encoder.middle(), v);
        v.gamma(encoder.headNorm());
        v.conv(encoder.head());
        v.conv(conv1);
        v.conv(conv2);
        v.conv(decoder.conv1());
        visit(decoder.middle(), v);
        visit(decoder.upsamples(), v);
        v.gamma(decoder.headNorm());
        v.conv(decoder.head());
    }

    private static void visit(List<Layer> layers, ParameterVisitor v) {
        for (Layer l : layers) {
            switch (l) {
                case ResBlock r -> {
                    v.gamma(r.norm1());
                    v.conv(r.conv1());
                    v.gamma(r.norm2());
                    v.conv(r.conv2());
                    if (r.shortcut() != null) v.conv(r.shortcut());
                }
                case Attn a -> {
                    v.gamma(a.norm());
                    v.conv(a.toQkv());
                    v.conv(a.proj());
                }
                case Resample s -> {
                    v.conv(s.conv());
                    if (s.timeConv() != null) v.conv(s.timeConv());
                }
            }
        }
    }
}
