package longlive.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import longlive.video.Frame;
import longlive.world.BackgroundKind;
import longlive.world.NamedColor;

/**
 * A per-frame estimate of the background from pixels alone, robust to the objects in front of it (they cover
 * well under half the frame). Two modes: a <em>palette</em> of up to three dominant colours (solid, stripes,
 * checker; anti-aliased or blurred pattern edges are explained as mixes of two palette colours), or, when no
 * small palette covers the frame, a <em>row model</em> (per-row medians: a top-to-bottom gradient).
 * A pixel is background if its colour lies within {@link #THRESHOLD} of what the model allows there.
 */
public final class BackgroundModel {
    /** Luma-weighted distance (see {@link #distance}) under which a pixel counts as background. */
    public static final double THRESHOLD = 40;
    private static final int BINS = 16; // 16 levels per channel for the palette histogram

    private final int width;
    private final int height;
    private final double[][] palette; // [k][3]
    private final double[][] rows; // [height][3], null in palette mode
    private final double[][] paletteW; // the same in luma-weighted YCbCr (see distance)
    private final double[][] rowsW;

    private BackgroundModel(int width, int height, double[][] palette, double[][] rows) {
        this.width = width;
        this.height = height;
        this.palette = palette;
        this.rows = rows;
        this.paletteW = weightedAll(palette);
        this.rowsW = weightedAll(rows);
    }

    public static BackgroundModel estimate(Frame f) {
        int w = f.width(), h = f.height();
        byte[] rgb = f.rgb();
        int[] count = new int[BINS * BINS * BINS];
        double[] sum = new double[3 * count.length];
        for (int i = 0; i < w * h; i++) {
            int r = rgb[3 * i] & 0xFF, g = rgb[3 * i + 1] & 0xFF, b = rgb[3 * i + 2] & 0xFF;
            int bin = (r * BINS >> 8) * BINS * BINS + (g * BINS >> 8) * BINS + (b * BINS >> 8);
            count[bin]++;
            sum[3 * bin] += r;
            sum[3 * bin + 1] += g;
            sum[3 * bin + 2] += b;
        }
        int[] order = topBins(count, 12);
        List<double[]> pal = new ArrayList<>();
        for (int k = 0; k < 12 && pal.size() < 3; k++) {
            int bin = order[k];
            if (bin < 0 || count[bin] < 0.06 * w * h) break;   // -1: fewer than 12 colours in the frame
            double[] c = {sum[3 * bin] / count[bin], sum[3 * bin + 1] / count[bin], sum[3 * bin + 2] / count[bin]};
            // a large object can cover 15% of the frame: a frequent colour that looks like an object colour is
            // only taken for background when it dominates the frame
            if (count[bin] < 0.35 * w * h && nearestAny(c).role() == NamedColor.Role.OBJECT) continue;
            boolean dup = false;
            for (double[] p : pal) if (dist(p, c[0], c[1], c[2]) < THRESHOLD / 2) dup = true;
            if (!dup) pal.add(c);
        }
        double[][] palette = pal.toArray(new double[0][]);
        BackgroundModel pm = new BackgroundModel(w, h, palette, null);
        int explained = 0;
        for (int i = 0; i < w * h; i++) {
            if (pm.distance(i % w, i / w, rgb[3 * i] & 0xFF, rgb[3 * i + 1] & 0xFF, rgb[3 * i + 2] & 0xFF) < THRESHOLD / 2) explained++;
        }
        if (palette.length > 0 && explained >= 0.65 * w * h) return pm;
        return new BackgroundModel(w, h, palette, rowMedians(f));
    }

    /** Indices of the k largest counts, largest first (-1 pads when fewer bins are non-empty). */
    private static int[] topBins(int[] count, int k) {
        int[] top = new int[k];
        java.util.Arrays.fill(top, -1);
        for (int i = 0; i < count.length; i++) {
            if (count[i] == 0 || (top[k - 1] >= 0 && count[i] <= count[top[k - 1]])) continue;
            int j = k - 1;
            while (j > 0 && (top[j - 1] < 0 || count[top[j - 1]] < count[i])) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = i;
        }
        return top;
    }

    private static double[][] rowMedians(Frame f) {
        int w = f.width(), h = f.height();
        double[][] rows = new double[h][3];
        int[] vals = new int[w];
        for (int y = 0; y < h; y++) {
            for (int c = 0; c < 3; c++) {
                for (int x = 0; x < w; x++) vals[x] = f.get(x, y, c);
                Arrays.sort(vals);
                rows[y][c] = vals[w / 2];
            }
        }
        return rows;
    }

    /** Whether this frame's background is explained by a small palette (solid / stripes / checker). */
    public boolean isPalette() {
        return rows == null;
    }

    /** The palette colours, most frequent first ({@code [k][3]} RGB). */
    public double[][] palette() {
        return palette;
    }

    /**
     * How far the colour at (x, y) is from anything the background allows there, in luma-weighted units: luma
     * counts fully, chroma at half weight, because H.264's 4:2:0 chroma bleeds across small details (a ring's
     * hole) while luma stays sharp.
     */
    public double distance(int x, int y, double r, double g, double b) {
        double cy = 0.299 * r + 0.587 * g + 0.114 * b;
        double cb = CHROMA_WEIGHT * (-0.168736 * r - 0.331264 * g + 0.5 * b), cr = CHROMA_WEIGHT * (0.5 * r - 0.418688 * g - 0.081312 * b);
        double best = Double.MAX_VALUE;
        if (rowsW != null) best = dist(rowsW[y], cy, cb, cr);
        for (int i = 0; i < paletteW.length; i++) {
            best = Math.min(best, dist(paletteW[i], cy, cb, cr));
            for (int j = i + 1; j < paletteW.length; j++) best = Math.min(best, segmentDistance(paletteW[i], paletteW[j], cy, cb, cr));
        }
        return best;
    }

    /** (Y, Cb, Cr) with chroma scaled by sqrt(0.5): distances weigh luma fully and chroma at half. */
    static double[] weighted(double r, double g, double b) {
        double y = 0.299 * r + 0.587 * g + 0.114 * b;
        double cb = -0.168736 * r - 0.331264 * g + 0.5 * b, cr = 0.5 * r - 0.418688 * g - 0.081312 * b;
        return new double[] {y, CHROMA_WEIGHT * cb, CHROMA_WEIGHT * cr};
    }

    private static final double CHROMA_WEIGHT = Math.sqrt(0.5);

    private static double[][] weightedAll(double[][] rgb) {
        if (rgb == null) return null;
        double[][] out = new double[rgb.length][];
        for (int i = 0; i < rgb.length; i++) out[i] = weighted(rgb[i][0], rgb[i][1], rgb[i][2]);
        return out;
    }

    /**
     * The background's kind and named colours, judged from the model and the background pixels of the frame.
     *
     * @param mask foreground mask of the frame ([h * w], true = object)
     */
    public BackgroundGuess guess(Frame f, boolean[] mask) {
        double[][] rm = rows != null ? rows : rowMedians(f), cm = columnMedians(f);
        int rowDev = 0, colDev = 0, n = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (mask[y * width + x]) continue;
                double r = f.get(x, y, 0), g = f.get(x, y, 1), b = f.get(x, y, 2);
                n++;
                if (dist(rm[y], r, g, b) > THRESHOLD / 3) rowDev++;
                if (dist(cm[x], r, g, b) > THRESHOLD / 3) colDev++;
            }
        }
        // constant along rows (or columns) absolutely, or at least far more than along the other axis (compression
        // noise on low-contrast stripes)
        boolean rowConst = rowDev < 0.05 * n || (rowDev < 0.15 * n && rowDev < 0.2 * colDev);
        boolean colConst = colDev < 0.05 * n || (colDev < 0.15 * n && colDev < 0.2 * rowDev);
        if (rowConst && colConst) return new BackgroundGuess(BackgroundKind.SOLID, List.of(name(rm[height / 2])));
        if (rowConst || colConst) {
            double[][] profile = rowConst ? rm : cm;
            if (fitsLine(profile)) { // smooth change along the profile: a gradient, named by its two ends
                int edge = Math.max(0, profile.length / 16);
                NamedColor a = name(profile[edge]), b = name(profile[profile.length - 1 - edge]);
                return new BackgroundGuess(a == b ? BackgroundKind.SOLID : BackgroundKind.GRADIENT, List.of(a, b).stream().distinct().toList());
            }
        }
        List<NamedColor> names = new ArrayList<>();
        for (double[] p : palette) {
            NamedColor c = name(p);
            if (!names.contains(c)) names.add(c);
        }
        if (names.isEmpty()) names.add(name(rm[height / 2]));
        BackgroundKind kind = names.size() == 1 ? BackgroundKind.SOLID : rowConst || colConst ? BackgroundKind.STRIPES : BackgroundKind.CHECKER;
        return new BackgroundGuess(kind, names.subList(0, Math.min(2, names.size())));
    }

    /**
     * Whether a colour profile (row or column medians) is a straight ramp: a robust (Theil-Sen style) line fit
     * per channel explains at least 80% of the entries within 10 levels. Stripes alternate between two levels
     * and fit no line; rows where objects dominate the median are outliers the fit ignores.
     */
    static boolean fitsLine(double[][] profile) {
        int n = profile.length, half = n / 2;
        double[][] fit = new double[n][3];
        for (int c = 0; c < 3; c++) {
            double[] slopes = new double[n - half];
            for (int i = 0; i + half < n; i++) slopes[i] = (profile[i + half][c] - profile[i][c]) / half;
            Arrays.sort(slopes);
            double slope = slopes[slopes.length / 2];
            double[] icpt = new double[n];
            for (int i = 0; i < n; i++) icpt[i] = profile[i][c] - slope * i;
            Arrays.sort(icpt);
            for (int i = 0; i < n; i++) fit[i][c] = icpt[n / 2] + slope * i;
        }
        int close = 0;
        for (int i = 0; i < n; i++) if (dist(fit[i], profile[i][0], profile[i][1], profile[i][2]) < 10) close++;
        return close >= 0.8 * n;
    }

    private static NamedColor name(double[] c) {
        return Lab.nearest(c[0], c[1], c[2], NamedColor.Role.BACKGROUND);
    }

    private static double[][] columnMedians(Frame f) {
        int w = f.width(), h = f.height();
        double[][] cols = new double[w][3];
        int[] vals = new int[h];
        for (int x = 0; x < w; x++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) vals[y] = f.get(x, y, c);
                Arrays.sort(vals);
                cols[x][c] = vals[h / 2];
            }
        }
        return cols;
    }

    private static NamedColor nearestAny(double[] c) {
        NamedColor o = Lab.nearest(c[0], c[1], c[2], NamedColor.Role.OBJECT), b = Lab.nearest(c[0], c[1], c[2], NamedColor.Role.BACKGROUND);
        double[] lab = Lab.of(c[0], c[1], c[2]);
        return Lab.deltaE(lab, Lab.of(o)) < Lab.deltaE(lab, Lab.of(b)) ? o : b;
    }

    static double dist(double[] p, double r, double g, double b) {
        double dr = p[0] - r, dg = p[1] - g, db = p[2] - b;
        return Math.sqrt(dr * dr + dg * dg + db * db);
    }

    /** Distance from a colour to the line segment between two palette colours (their anti-aliased mixes). */
    private static double segmentDistance(double[] p, double[] q, double r, double g, double b) {
        double ex = q[0] - p[0], ey = q[1] - p[1], ez = q[2] - p[2];
        double wx = r - p[0], wy = g - p[1], wz = b - p[2];
        double len = ex * ex + ey * ey + ez * ez;
        double t = len == 0 ? 0 : Math.max(0, Math.min(1, (wx * ex + wy * ey + wz * ez) / len));
        double dx = wx - t * ex, dy = wy - t * ey, dz = wz - t * ez;
        return Math.sqrt(dx * dx + dy * dy + dz * dz);
    }
}
