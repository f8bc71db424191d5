package longlive.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import longlive.video.Frame;
import longlive.world.NamedColor;

/**
 * Measures one RGB frame: estimates the background, segments the objects (pixels the background cannot explain,
 * 8-connected regions above a minimum area), and computes per-object shape, colour and orientation features plus
 * frame-level image-quality proxies. Uses the pixels only. Not thread-safe (reuses buffers); one per thread.
 */
public final class FrameAnalyzer {
    private final int width;
    private final int height;
    private final boolean[] mask;
    private final int[] label;
    private final double[] luma;
    private final double[] bgDistance;
    private final int minArea;

    public FrameAnalyzer(int width, int height) {
        this.width = width;
        this.height = height;
        this.mask = new boolean[width * height];
        this.label = new int[width * height];
        this.luma = new double[width * height];
        this.bgDistance = new double[width * height];
        this.minArea = Math.max(5, (int) Math.round(0.0012 * width * height));
    }

    public FrameAnalysis analyze(Frame f) {
        if (f.width() != width || f.height() != height) throw new IllegalArgumentException("frame " + f + " is not " + width + "x" + height);
        BackgroundModel bg = BackgroundModel.estimate(f);
        byte[] rgb = f.rgb();
        double noiseSum = 0, br = 0, bgG = 0, bb = 0;
        int noiseN = 0, clipped = 0;
        for (int i = 0; i < width * height; i++) {
            int r = rgb[3 * i] & 0xFF, g = rgb[3 * i + 1] & 0xFF, b = rgb[3 * i + 2] & 0xFF;
            luma[i] = 0.299 * r + 0.587 * g + 0.114 * b;
            if (r == 0 || g == 0 || b == 0 || r == 255 || g == 255 || b == 255) clipped++;
            double d = bg.distance(i % width, i / width, r, g, b);
            bgDistance[i] = d;
            mask[i] = d > BackgroundModel.THRESHOLD;
            if (!mask[i]) {
                noiseSum += d * d;
                noiseN++;
                br += r;
                bgG += g;
                bb += b;
            }
        }
        List<Blob> blobs = components(f);
        double palErr = 0;
        int palN = 0;
        for (Blob b : blobs) {
            palErr += Lab.distanceToPalette(b.r(), b.g(), b.b(), NamedColor.Role.OBJECT);
            palN++;
        }
        if (bg.isPalette()) {
            for (double[] p : bg.palette()) {
                palErr += Lab.distanceToPalette(p[0], p[1], p[2], NamedColor.Role.BACKGROUND);
                palN++;
            }
        }
        return new FrameAnalysis(bg.guess(f, mask), blobs, sharpness(), Math.sqrt(noiseSum / Math.max(1, noiseN)),
                (double) clipped / (width * height), palN == 0 ? 0 : palErr / palN,
                Lab.of(br / Math.max(1, noiseN), bgG / Math.max(1, noiseN), bb / Math.max(1, noiseN)));
    }

    /** The foreground mask of the last analysed frame ([h * w], true = object). */
    boolean[] mask() {
        return mask;
    }

    private List<Blob> components(Frame f) {
        Arrays.fill(label, 0);
        List<Blob> out = new ArrayList<>();
        int[] queue = new int[width * height];
        int next = 0;
        for (int s = 0; s < width * height; s++) {
            if (!mask[s] || label[s] != 0) continue;
            next++;
            int head = 0, tail = 0;
            queue[tail++] = s;
            label[s] = next;
            while (head < tail) {
                int p = queue[head++], px = p % width, py = p / width;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int x = px + dx, y = py + dy;
                        if (x < 0 || y < 0 || x >= width || y >= height) continue;
                        int q = y * width + x;
                        if (mask[q] && label[q] == 0) {
                            label[q] = next;
                            queue[tail++] = q;
                        }
                    }
                }
            }
            if (tail >= minArea) out.add(measure(f, Arrays.copyOf(queue, tail), next));
        }
        out.sort((a, b) -> Integer.compare(b.area(), a.area()));
        return out;
    }

    private Blob measure(Frame f, int[] px, int id) {
        int n = px.length;
        double sx = 0, sy = 0;
        int x0 = width, x1 = 0, y0 = height, y1 = 0;
        for (int p : px) {
            int x = p % width, y = p / width;
            sx += x + 0.5;
            sy += y + 0.5;
            x0 = Math.min(x0, x);
            x1 = Math.max(x1, x);
            y0 = Math.min(y0, y);
            y1 = Math.max(y1, y);
        }
        double cx = sx / n, cy = sy / n;
        double maxR = 0;
        double[] re = new double[3], im = new double[3];
        double mass = 0;
        List<double[]> corners = new ArrayList<>();
        for (int p : px) {
            int x = p % width, y = p / width;
            double dx = x + 0.5 - cx, dy = y + 0.5 - cy, d2 = dx * dx + dy * dy;
            maxR = Math.max(maxR, d2);
            mass += d2;
            if (d2 > 0) { // d^2 e^(i n theta) = z^n / |z|^(n-2) with z = dx + i dy, no trigonometry
                double z2r = dx * dx - dy * dy, z2i = 2 * dx * dy;
                double z3r = z2r * dx - z2i * dy, z3i = z2r * dy + z2i * dx;
                double z4r = z3r * dx - z3i * dy, z4i = z3r * dy + z3i * dx;
                double z5r = z4r * dx - z4i * dy, z5i = z4r * dy + z4i * dx;
                double d = Math.sqrt(d2);
                re[0] += z3r / d;
                im[0] += z3i / d;
                re[1] += z4r / d2;
                im[1] += z4i / d2;
                re[2] += z5r / (d2 * d);
                im[2] += z5i / (d2 * d);
            }
            boolean inside = in(x - 1, y, id) && in(x + 1, y, id) && in(x, y - 1, id) && in(x, y + 1, id);
            if (!inside) {
                corners.add(new double[] {x, y});
                corners.add(new double[] {x + 1, y});
                corners.add(new double[] {x, y + 1});
                corners.add(new double[] {x + 1, y + 1});
            }
        }
        // colour: mean of the half of the pixels that differ most from the background; edge pixels are mixed by
        // anti-aliasing and by H.264's half-resolution chroma, so thin shapes (a small ring) have no clean interior
        double[] dist = new double[n];
        for (int k = 0; k < n; k++) dist[k] = bgDistance[px[k]];
        double[] sorted = dist.clone();
        Arrays.sort(sorted);
        double cut = sorted[n / 2];
        double cr = 0, cg = 0, cb = 0;
        int core = 0;
        for (int k = 0; k < n; k++) {
            if (dist[k] < cut) continue;
            int x = px[k] % width, y = px[k] / width;
            cr += f.get(x, y, 0);
            cg += f.get(x, y, 1);
            cb += f.get(x, y, 2);
            core++;
        }
        int interior = core;
        maxR = Math.sqrt(maxR) + 0.5;
        int holes = holes(x0, y0, x1, y1, id);
        double hull = hullArea(corners);
        double solidity = hull <= 0 ? 1 : Math.min(1, (n + holes) / hull);
        return new Blob(n, cx, cy, maxR, holes, solidity, cr / interior, cg / interior, cb / interior,
                Math.atan2(im[0], re[0]) / 3, Math.atan2(im[1], re[1]) / 4, Math.atan2(im[2], re[2]) / 5,
                Math.hypot(re[0], im[0]) / mass, Math.hypot(re[1], im[1]) / mass, Math.hypot(re[2], im[2]) / mass);
    }

    private boolean in(int x, int y, int id) {
        return x >= 0 && y >= 0 && x < width && y < height && label[y * width + x] == id;
    }

    /** Background pixels inside the bounding box that cannot reach its border without crossing the region. */
    private int holes(int x0, int y0, int x1, int y1, int id) {
        int bw = x1 - x0 + 3, bh = y1 - y0 + 3;
        boolean[] seen = new boolean[bw * bh];
        int[] queue = new int[bw * bh];
        int head = 0, tail = 0;
        queue[tail++] = 0;
        seen[0] = true;
        int outside = 0;
        while (head < tail) {
            int p = queue[head++], x = p % bw, y = p / bw;
            outside++;
            int[][] nb = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
            for (int[] q : nb) {
                if (q[0] < 0 || q[1] < 0 || q[0] >= bw || q[1] >= bh) continue;
                int k = q[1] * bw + q[0];
                if (seen[k] || in(q[0] + x0 - 1, q[1] + y0 - 1, id)) continue;
                seen[k] = true;
                queue[tail++] = k;
            }
        }
        int region = 0;
        for (int y = y0; y <= y1; y++) for (int x = x0; x <= x1; x++) if (label[y * width + x] == id) region++;
        return bw * bh - outside - region;
    }

    /** Area of the convex hull of points (Andrew's monotone chain + shoelace). */
    static double hullArea(List<double[]> pts) {
        if (pts.size() < 3) return 0;
        pts.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
        double[][] h = new double[2 * pts.size()][];
        int k = 0;
        for (double[] p : pts) {
            while (k >= 2 && cross(h[k - 2], h[k - 1], p) <= 0) k--;
            h[k++] = p;
        }
        for (int i = pts.size() - 2, t = k + 1; i >= 0; i--) {
            double[] p = pts.get(i);
            while (k >= t && cross(h[k - 2], h[k - 1], p) <= 0) k--;
            h[k++] = p;
        }
        double area = 0;
        for (int i = 0; i < k - 1; i++) area += h[i][0] * h[i + 1][1] - h[i + 1][0] * h[i][1];
        return Math.abs(area) / 2;
    }

    private static double cross(double[] o, double[] a, double[] b) {
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    }

    /**
     * Edge sharpness: at pixels whose 5x5 neighbourhood spans a luma range of at least 40, the steepest
     * central-difference step relative to that range; the 90th percentile over such pixels (0.5 for a crisp
     * one-pixel edge). NaN when the frame has no edges.
     */
    private double sharpness() {
        int w = width, h = height;
        double[] mx = new double[w * h], mn = new double[w * h], mx2 = new double[w * h], mn2 = new double[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double a = Double.MIN_VALUE, b = Double.MAX_VALUE;
                for (int d = -2; d <= 2; d++) {
                    int xx = Math.max(0, Math.min(w - 1, x + d));
                    a = Math.max(a, luma[y * w + xx]);
                    b = Math.min(b, luma[y * w + xx]);
                }
                mx[y * w + x] = a;
                mn[y * w + x] = b;
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double a = Double.MIN_VALUE, b = Double.MAX_VALUE;
                for (int d = -2; d <= 2; d++) {
                    int yy = Math.max(0, Math.min(h - 1, y + d));
                    a = Math.max(a, mx[yy * w + x]);
                    b = Math.min(b, mn[yy * w + x]);
                }
                mx2[y * w + x] = a;
                mn2[y * w + x] = b;
            }
        }
        double[] s = new double[w * h];
        int n = 0;
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                int i = y * w + x;
                double range = mx2[i] - mn2[i];
                if (range < 40) continue;
                double g = Math.max(Math.abs(luma[i + 1] - luma[i - 1]), Math.abs(luma[i + w] - luma[i - w])) / 2;
                s[n++] = g / range;
            }
        }
        if (n == 0) return Double.NaN;
        Arrays.sort(s, 0, n);
        return s[(int) (0.9 * (n - 1))];
    }
}
