package longlive.world;

import longlive.video.Frame;

/**
 * Draws the current state of a {@link WorldSim} into an RGB frame of any size (32x32 and up), anti-aliased:
 * every edge (object outlines, stripe and checker borders) is blended by the fraction of the pixel it covers,
 * computed from a signed distance in pixels. Objects are drawn in id order over the background.
 */
public final class Renderer {
    private final int width;
    private final int height;
    private final double[] acc; // [height * width * 3] working colour, 0..255

    public Renderer(int width, int height) {
        if (width < 32 || height < 32) throw new IllegalArgumentException("frames must be at least 32x32, got " + width + "x" + height);
        this.width = width;
        this.height = height;
        this.acc = new double[3 * width * height];
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Renders the simulation's current frame into a new frame. */
    public Frame render(WorldSim sim) {
        Frame f = Frame.black(width, height);
        render(sim, f);
        return f;
    }

    /** Renders the simulation's current frame into {@code out} (which must be width x height). */
    public void render(WorldSim sim, Frame out) {
        if (out.width() != width || out.height() != height) throw new IllegalArgumentException("output frame is " + out + ", renderer is " + width + "x" + height);
        ScriptWorld w = sim.world();
        double sx = width / w.width(), sy = height / w.height();
        double pxPerUnit = Math.sqrt(sx * sy); // anti-aliasing width: one pixel
        drawBackground(sim.scene().background(), sim.backgroundOffset(), sx, sy, pxPerUnit);
        for (ObjectState o : sim.objects()) drawObject(o, sx, sy, pxPerUnit);
        byte[] rgb = out.rgb();
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) Math.max(0, Math.min(255, (int) Math.round(acc[i])));
    }

    private void drawBackground(Background bg, double offset, double sx, double sy, double ppu) {
        NamedColor a = bg.first(), b = bg.second();
        double pan = bg.panning() ? offset : 0;
        double cell = BackgroundKind.CELL;
        for (int j = 0; j < height; j++) {
            double y = (j + 0.5) / sy;
            for (int i = 0; i < width; i++) {
                double x = (i + 0.5) / sx;
                double wa; // weight of the first colour
                switch (bg.kind()) {
                    case SOLID -> wa = 1;
                    case GRADIENT -> wa = 1 - Math.min(1, Math.max(0, (j + 0.5) / height));
                    case STRIPES -> wa = stripeWeight((x + pan) / cell, cell * ppu);
                    case CHECKER -> {
                        double fx = stripeWeight((x + pan) / cell, cell * ppu), fy = stripeWeight(y / cell, cell * ppu);
                        wa = fx * fy + (1 - fx) * (1 - fy); // crossing both a column and a row edge restores the colour
                    }
                    default -> throw new IllegalStateException();
                }
                int k = 3 * (j * width + i);
                acc[k] = wa * a.r() + (1 - wa) * b.r();
                acc[k + 1] = wa * a.g() + (1 - wa) * b.g();
                acc[k + 2] = wa * a.b() + (1 - wa) * b.b();
            }
        }
    }

    /**
     * Share of a pixel covered by an even cell of a 1-D pattern; {@code u} is the pixel centre in cells and
     * {@code cellPx} a cell's width in pixels. Box-filter coverage of the nearest edge.
     */
    private static double stripeWeight(double u, double cellPx) {
        double fl = Math.floor(u), frac = u - fl;
        boolean even = (((long) fl) & 1) == 0;
        double d = Math.min(frac, 1 - frac) * cellPx; // pixels to the nearest edge
        double own = Math.min(1, 0.5 + d);
        return even ? own : 1 - own;
    }

    private void drawObject(ObjectState o, double sx, double sy, double ppu) {
        NamedColor c = o.spec().color();
        forEachCoveredPixel(o, sx, sy, ppu, (pixel, cov) -> {
            int k = 3 * pixel;
            acc[k] += cov * (c.r() - acc[k]);
            acc[k + 1] += cov * (c.g() - acc[k + 1]);
            acc[k + 2] += cov * (c.b() - acc[k + 2]);
        });
    }

    /** Receives a pixel ({@code j * width + i}) and the share of it an object covers (0 < share <= 1). */
    private interface CoveredPixel {
        void accept(int pixel, double coverage);
    }

    /** Every pixel near {@code o} that it covers, in row order: the one walk drawing and coverage maps share. */
    private void forEachCoveredPixel(ObjectState o, double sx, double sy, double ppu, CoveredPixel sink) {
        Shape shape = o.spec().shape();
        double r = o.radius();
        double[] poly = polygon(shape, r, o.angle());
        int x0 = Math.max(0, (int) Math.floor((o.x() - r) * sx - 1)), x1 = Math.min(width - 1, (int) Math.ceil((o.x() + r) * sx + 1));
        int y0 = Math.max(0, (int) Math.floor((o.y() - r) * sy - 1)), y1 = Math.min(height - 1, (int) Math.ceil((o.y() + r) * sy + 1));
        for (int j = y0; j <= y1; j++) {
            double py = (j + 0.5) / sy - o.y();
            for (int i = x0; i <= x1; i++) {
                double cov = coverage(shape, poly, r, (i + 0.5) / sx - o.x(), py, ppu);
                if (cov > 0) sink.accept(j * width + i, cov);
            }
        }
    }

    /** Share (0..1) of the pixel centred (px, py) from an object's centre (world units) that the object covers. */
    private static double coverage(Shape shape, double[] poly, double r, double px, double py, double ppu) {
        double d = switch (shape) {
            case CIRCLE -> Math.hypot(px, py) - r;
            case RING -> Math.abs(Math.hypot(px, py) - r * (1 + Shape.RING_INNER) / 2) - r * (1 - Shape.RING_INNER) / 2;
            default -> polygonDistance(poly, px, py);
        };
        return Math.min(1, 0.5 - d * ppu);
    }

    /**
     * Adds to {@code out[j * width + i]} ({@code width x height}, zeroed by the caller) the share of each pixel the
     * simulation's objects cover now, capped at 1: where the objects are, without their colours or the background
     * (training can weight its loss there; {@code train teacher --object-weight}).
     */
    public void objectCoverage(WorldSim sim, float[] out) {
        if (out.length != width * height) throw new IllegalArgumentException("coverage map of " + out.length + " for " + width + "x" + height);
        ScriptWorld w = sim.world();
        double sx = width / w.width(), sy = height / w.height();
        for (ObjectState o : sim.objects())
            forEachCoveredPixel(o, sx, sy, Math.sqrt(sx * sy), (pixel, c) -> out[pixel] = (float) Math.min(1, out[pixel] + c));
    }

    /** Vertices {x0, y0, x1, y1, ...} of a polygonal shape of circumradius r rotated by angle; null for round shapes. */
    static double[] polygon(Shape shape, double r, double angle) {
        int n;
        double start;
        boolean star = false;
        switch (shape) {
            case SQUARE -> { n = 4; start = Math.PI / 4; }
            case TRIANGLE -> { n = 3; start = -Math.PI / 2; }
            case STAR -> { n = 10; start = -Math.PI / 2; star = true; }
            default -> { return null; }
        }
        double[] v = new double[2 * n];
        for (int k = 0; k < n; k++) {
            double rad = star && (k & 1) == 1 ? r * Shape.STAR_INNER : r;
            double a = start + angle + 2 * Math.PI * k / n;
            v[2 * k] = rad * Math.cos(a);
            v[2 * k + 1] = rad * Math.sin(a);
        }
        return v;
    }

    /** Signed distance from (px, py) to a simple polygon: negative inside. */
    static double polygonDistance(double[] v, double px, double py) {
        int n = v.length / 2;
        double best = Double.MAX_VALUE;
        boolean inside = false;
        for (int i = 0, j = n - 1; i < n; j = i++) {
            double ax = v[2 * j], ay = v[2 * j + 1], bx = v[2 * i], by = v[2 * i + 1];
            double ex = bx - ax, ey = by - ay, wx = px - ax, wy = py - ay;
            double t = Math.max(0, Math.min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
            double dx = wx - t * ex, dy = wy - t * ey;
            best = Math.min(best, dx * dx + dy * dy);
            if ((ay > py) != (by > py) && px < ax + (py - ay) * ex / ey) inside = !inside;
        }
        double d = Math.sqrt(best);
        return inside ? -d : d;
    }
}
