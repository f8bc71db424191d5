package longlive.video;

/**
 * RGB to and from planar YUV 4:2:0 with BT.601 limited ("TV") range, the convention ordinary players assume for
 * H.264 without colour metadata. Planes hold unsigned values 0..255; callers convert to JCodec's signed bytes.
 */
final class Yuv420 {
    private Yuv420() {
    }

    /**
     * Converts a frame into planes of a picture of size {@code pw x ph} (multiples of 2, at least the frame size);
     * pixels outside the frame repeat the nearest edge so the encoder sees no artificial border.
     *
     * @param y  [ph * pw] luma
     * @param u  [(ph/2) * (pw/2)] Cb
     * @param v  [(ph/2) * (pw/2)] Cr
     */
    static void fromRgb(Frame f, int pw, int ph, int[] y, int[] u, int[] v) {
        int w = f.width(), h = f.height();
        byte[] rgb = f.rgb();
        int cw = pw / 2;
        for (int j = 0; j < ph; j++) {
            int sy = Math.min(j, h - 1);
            for (int i = 0; i < pw; i++) {
                int k = 3 * (sy * w + Math.min(i, w - 1));
                int r = rgb[k] & 0xFF, g = rgb[k + 1] & 0xFF, b = rgb[k + 2] & 0xFF;
                y[j * pw + i] = clamp((int) Math.round(16 + 0.256788 * r + 0.504129 * g + 0.097906 * b));
            }
        }
        for (int j = 0; j < ph / 2; j++) {
            for (int i = 0; i < cw; i++) {
                double sr = 0, sg = 0, sb = 0;
                for (int dy = 0; dy < 2; dy++) {
                    int sy = Math.min(2 * j + dy, h - 1);
                    for (int dx = 0; dx < 2; dx++) {
                        int k = 3 * (sy * w + Math.min(2 * i + dx, w - 1));
                        sr += rgb[k] & 0xFF;
                        sg += rgb[k + 1] & 0xFF;
                        sb += rgb[k + 2] & 0xFF;
                    }
                }
                sr /= 4; sg /= 4; sb /= 4;
                u[j * cw + i] = clamp((int) Math.round(128 - 0.148223 * sr - 0.290993 * sg + 0.439216 * sb));
                v[j * cw + i] = clamp((int) Math.round(128 + 0.439216 * sr - 0.367788 * sg - 0.071427 * sb));
            }
        }
    }

    /**
     * Converts planes (unsigned, strides {@code ys} and {@code cs}) into a w x h frame; {@code fullRange} for JPEG-range
     * YUV (JCodec's YUV420J), otherwise BT.601 limited range. Chroma is upsampled by nearest neighbour.
     */
    static Frame toRgb(int w, int h, int[] y, int ys, int[] u, int[] v, int cs, boolean fullRange) {
        byte[] rgb = new byte[3 * w * h];
        for (int j = 0; j < h; j++) {
            for (int i = 0; i < w; i++) {
                double yy = y[j * ys + i], cb = u[(j >> 1) * cs + (i >> 1)] - 128.0, cr = v[(j >> 1) * cs + (i >> 1)] - 128.0;
                double r, g, b;
                if (fullRange) {
                    r = yy + 1.402 * cr;
                    g = yy - 0.344136 * cb - 0.714136 * cr;
                    b = yy + 1.772 * cb;
                } else {
                    double c = 1.164383 * (yy - 16);
                    r = c + 1.596027 * cr;
                    g = c - 0.391762 * cb - 0.812968 * cr;
                    b = c + 2.017232 * cb;
                }
                int k = 3 * (j * w + i);
                rgb[k] = (byte) clamp((int) Math.round(r));
                rgb[k + 1] = (byte) clamp((int) Math.round(g));
                rgb[k + 2] = (byte) clamp((int) Math.round(b));
            }
        }
        return new Frame(w, h, rgb);
    }

    static int clamp(int x) {
        return x < 0 ? 0 : Math.min(255, x);
    }
}
