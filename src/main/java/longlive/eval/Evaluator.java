package longlive.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import longlive.kernel.Parallel;
import longlive.video.Frame;
import longlive.video.FrameSource;
import longlive.world.Motion;
import longlive.world.NamedColor;
import longlive.world.ObjectSpec;
import longlive.world.SceneSpec;
import longlive.world.Script;
import longlive.world.Shape;
import longlive.world.SizeClass;

/**
 * Scores a video against a script from its pixels only. Pass 1 analyses every frame ({@link FrameAnalyzer});
 * pass 2 assigns the regions of each frame to the objects the segment states (by colour, shape and continuity),
 * pass 3 labels motion from the tracks and aggregates per segment, per switch and over time (drift).
 * Memory: a few hundred bytes per frame, so hour-long videos are fine.
 */
public final class Evaluator {
    /** Displacement between consecutive frames (frame-short-side units) that counts as a teleport. */
    public static final double TELEPORT_UNITS = 0.06;
    /** Largest jump of a continuing object across a switch that still counts as continuous. */
    public static final double JUMP_OK_UNITS = 0.05;
    /** Mean absolute pixel difference under which a frame repeats the previous one. */
    static final double FROZEN_DIFF = 0.01;
    /** Colour distance tolerated as the same colour (compression, anti-aliasing) before consistency drops. */
    static final double CONSISTENCY_TOLERANCE_DE = 6;
    /** Colour distance beyond the tolerance at which a consistency term reaches zero. */
    static final double CONSISTENCY_DE = 24;
    static final int STABLE_FRAMES = 4;
    static final String[] ATTRIBUTES = {"color", "shape", "size", "motion", "background", "count"};

    /** One object as seen in one frame; positions and radius in frame-short-side units. */
    record Obs(double x, double y, double radius, NamedColor color, Shape shape, double[] lab, Blob blob) {
    }

    private final Script script;
    private final boolean hasWorld;
    private int width;
    private int height;
    private double unit; // pixels per frame-short-side unit
    private double fps;
    private final List<FrameAnalysis> analyses = new ArrayList<>();
    private final List<Double> diffPrev = new ArrayList<>();

    private Evaluator(Script script) {
        this.script = script;
        this.hasWorld = script.world() != null;
    }

    /** Reads every frame of {@code source} and scores it against {@code script}, on the calling thread. */
    public static EvalReport evaluate(FrameSource source, Script script, String videoName, String scriptName) throws IOException {
        return evaluate(source, script, videoName, scriptName, Parallel.serial());
    }

    /**
     * Reads every frame of {@code source} and scores it against {@code script}. Frames are decoded in batches on
     * the calling thread and analysed in parallel on {@code parallel} (one {@link FrameAnalyzer} per range).
     */
    public static EvalReport evaluate(FrameSource source, Script script, String videoName, String scriptName, Parallel parallel)
            throws IOException {
        Evaluator e = new Evaluator(script);
        e.width = source.width();
        e.height = source.height();
        e.unit = Math.min(e.width, e.height);
        e.fps = source.fps() > 0 ? source.fps() : script.fps();
        int batch = 32 * parallel.threads();
        List<Frame> frames = new ArrayList<>(batch + 1);
        Frame prev = null, f;
        boolean end = false;
        while (!end) {
            frames.clear();
            if (prev != null) frames.add(prev); // the batch starts with the last frame of the previous one, for diffs
            while (frames.size() < batch + 1 && (f = source.read()) != null) frames.add(f);
            end = frames.size() < batch + 1;
            int skip = prev == null ? 0 : 1;
            FrameAnalysis[] out = new FrameAnalysis[frames.size()];
            double[] diff = new double[frames.size()];
            parallel.forRange(frames.size() - skip, 4, (from, to) -> {
                FrameAnalyzer an = new FrameAnalyzer(e.width, e.height);
                for (int i = from + skip; i < to + skip; i++) {
                    out[i] = an.analyze(frames.get(i));
                    diff[i] = i == 0 ? Double.NaN : frames.get(i).meanAbsDiff(frames.get(i - 1));
                }
            });
            for (int i = skip; i < frames.size(); i++) {
                e.analyses.add(out[i]);
                e.diffPrev.add(diff[i]);
            }
            if (frames.size() > skip) prev = frames.get(frames.size() - 1);
        }
        if (e.analyses.isEmpty()) throw new IllegalArgumentException(videoName + " has no frames");
        return e.score(videoName, scriptName);
    }

    /** Scores frames already in memory (tests, the generator's in-process output). */
    public static EvalReport evaluate(List<Frame> frames, double fps, Script script) {
        Evaluator e = new Evaluator(script);
        e.width = frames.get(0).width();
        e.height = frames.get(0).height();
        e.unit = Math.min(e.width, e.height);
        e.fps = fps;
        FrameAnalyzer analyzer = new FrameAnalyzer(e.width, e.height);
        for (int i = 0; i < frames.size(); i++) {
            e.analyses.add(analyzer.analyze(frames.get(i)));
            e.diffPrev.add(i == 0 ? Double.NaN : frames.get(i).meanAbsDiff(frames.get(i - 1)));
        }
        return e.score("(memory)", null);
    }

    private int[] switchFrames(int total) {
        if (script.switchSeconds().isEmpty()) return script.switchFrames(total);
        int[] sw = new int[script.switchSeconds().size()];
        for (int i = 0; i < sw.length; i++) sw[i] = (int) Math.round(script.switchSeconds().get(i) * fps);
        return sw;
    }

    private EvalReport score(String videoName, String scriptName) {
        int n = analyses.size();
        int[] sw = switchFrames(n);
        int segs = script.segments();
        int[] start = new int[segs], end = new int[segs];
        for (int s = 0; s < segs; s++) {
            start[s] = s == 0 ? 0 : Math.min(n, sw[s - 1]);
            end[s] = s == segs - 1 ? n : Math.min(n, sw[s]);
        }
        // pass 2: assign regions to the stated objects (or, without a world, to the regions seen first)
        Obs[][] obs = new Obs[n][];
        List<List<ObjectSpec>> expected = new ArrayList<>();
        Map<Integer, double[]> lastById = new LinkedHashMap<>();
        for (int s = 0; s < segs; s++) {
            List<ObjectSpec> exp = hasWorld ? script.world().segments().get(s).scene().objects() : null;
            expected.add(exp);
            boolean cut = hasWorld && script.world().segments().get(s).cut();
            if (cut) lastById.clear();
            int slots;
            double[][] last;
            if (exp != null) {
                slots = exp.size();
                last = new double[slots][];
                for (int j = 0; j < slots; j++) last[j] = lastById.get(exp.get(j).id());
            } else {
                List<Blob> first = start[s] < n ? analyses.get(start[s]).blobs() : List.of();
                slots = Math.min(3, first.size());
                last = new double[slots][];
                for (int j = 0; j < slots; j++) last[j] = new double[] {first.get(j).cx() / unit, first.get(j).cy() / unit};
            }
            for (int t = start[s]; t < end[s]; t++) {
                obs[t] = match(analyses.get(t).blobs(), exp, last, slots);
                for (int j = 0; j < slots; j++) if (obs[t][j] != null) last[j] = new double[] {obs[t][j].x(), obs[t][j].y()};
            }
            if (exp != null) for (int j = 0; j < slots; j++) if (last[j] != null) lastById.put(exp.get(j).id(), last[j]);
        }
        // pass 3: per-frame attribute scores
        double[][] score = new double[ATTRIBUTES.length][n];
        for (double[] row : score) Arrays.fill(row, Double.NaN);
        double[] overall = new double[n];
        Arrays.fill(overall, Double.NaN);
        for (int s = 0; s < segs; s++) {
            List<ObjectSpec> exp = expected.get(s);
            double[][] mot = motionScores(obs, exp, start[s], end[s]);
            for (int t = start[s]; t < end[s]; t++) {
                if (exp != null) {
                    SceneSpec scene = script.world().segments().get(s).scene();
                    double c = 0, sh = 0, sz = 0;
                    for (int j = 0; j < exp.size(); j++) {
                        Obs o = obs[t][j];
                        if (o == null) continue;
                        if (o.color() == exp.get(j).color()) c++;
                        if (o.shape() == exp.get(j).shape()) sh++;
                        if (SizeClass.nearest(o.radius()) == exp.get(j).size()) sz++;
                    }
                    score[0][t] = c / exp.size();
                    score[1][t] = sh / exp.size();
                    score[2][t] = sz / exp.size();
                    score[3][t] = mot[0][t - start[s]];
                    score[4][t] = analyses.get(t).background().matches(scene.background()) ? 1 : 0;
                    score[5][t] = analyses.get(t).blobs().size() == exp.size() ? 1 : 0;
                }
                overall[t] = mean(column(score, t));
            }
        }
        List<EvalReport.SegmentReport> segReports = new ArrayList<>();
        for (int s = 0; s < segs; s++) segReports.add(segmentReport(s, start[s], end[s], obs, score, overall, expected.get(s)));
        List<EvalReport.SwitchReport> switches = new ArrayList<>();
        for (int s = 1; s < segs; s++) {
            if (start[s] >= n || start[s] < 1) continue;
            switches.add(switchReport(s, start[s], end[s], obs, score, expected));
        }
        return new EvalReport(videoName, scriptName, width, height, fps, n, hasWorld, summary(segReports, switches), segReports, switches,
                drift(overall), timeline(overall, sw));
    }

    private Obs[] match(List<Blob> blobs, List<ObjectSpec> exp, double[][] last, int slots) {
        Obs[] out = new Obs[slots];
        boolean[] used = new boolean[blobs.size()];
        double[][] cost = new double[slots][blobs.size()];
        Shape[] shapes = new Shape[blobs.size()];
        double[][] labs = new double[blobs.size()][];
        for (int b = 0; b < blobs.size(); b++) {
            shapes[b] = ShapeClassifier.classify(blobs.get(b));
            labs[b] = blobs.get(b).lab();
        }
        for (int j = 0; j < slots; j++) {
            for (int b = 0; b < blobs.size(); b++) {
                Blob bl = blobs.get(b);
                double c = 0;
                if (exp != null) {
                    c += Lab.deltaE(labs[b], Lab.of(exp.get(j).color()));
                    if (shapes[b] != exp.get(j).shape()) c += 40;
                }
                if (last[j] != null) c += 100 * Math.hypot(bl.cx() / unit - last[j][0], bl.cy() / unit - last[j][1]);
                cost[j][b] = c;
            }
        }
        boolean[] done = new boolean[slots];
        for (int round = 0; round < Math.min(slots, blobs.size()); round++) {
            int bj = -1, bb = -1;
            double best = Double.MAX_VALUE;
            for (int j = 0; j < slots; j++) {
                if (done[j]) continue;
                for (int b = 0; b < blobs.size(); b++) if (!used[b] && cost[j][b] < best) {
                    best = cost[j][b];
                    bj = j;
                    bb = b;
                }
            }
            if (bj < 0) break;
            done[bj] = true;
            used[bb] = true;
            Blob bl = blobs.get(bb);
            Shape sh = shapes[bb];
            out[bj] = new Obs(bl.cx() / unit, bl.cy() / unit, ShapeClassifier.radius(bl, sh) / unit,
                    Lab.nearest(bl.r(), bl.g(), bl.b(), NamedColor.Role.OBJECT), sh, labs[bb], bl);
        }
        return out;
    }

    /** {scores per frame of the segment (NaN where no label)}: share of stated objects whose motion label matches. */
    private double[][] motionScores(Obs[][] obs, List<ObjectSpec> exp, int from, int to) {
        double[] out = new double[to - from];
        Arrays.fill(out, Double.NaN);
        if (exp == null || to <= from) return new double[][] {out};
        int len = to - from;
        double[] hits = new double[len];
        int[] labelled = new int[len];
        for (int j = 0; j < exp.size(); j++) {
            double[] x = new double[len], y = new double[len], r = new double[len], ph = new double[len];
            int sym = exp.get(j).shape().symmetry();
            for (int t = 0; t < len; t++) {
                Obs o = obs[from + t][j];
                x[t] = o == null ? Double.NaN : o.x();
                y[t] = o == null ? Double.NaN : o.y();
                r[t] = o == null ? Double.NaN : o.radius();
                ph[t] = o == null || sym == 0 ? 0 : o.blob().phase(sym);
            }
            for (int t = 0; t < len; t++) {
                Motion m = MotionClassifier.classify(x, y, r, sym == 0 ? null : ph, sym, t, 0, len, fps);
                if (m == null) continue;
                labelled[t]++;
                if (m == exp.get(j).motion()) hits[t]++;
            }
        }
        for (int t = 0; t < len; t++) if (labelled[t] > 0) out[t] = hits[t] / labelled[t];
        return new double[][] {out};
    }

    private EvalReport.SegmentReport segmentReport(int s, int from, int to, Obs[][] obs, double[][] score, double[] overall, List<ObjectSpec> exp) {
        Map<String, Double> adherence = new LinkedHashMap<>();
        if (hasWorld) {
            for (int a = 0; a < ATTRIBUTES.length; a++) adherence.put(ATTRIBUTES[a], nanToNull(meanRange(score[a], from, to)));
            adherence.put("overall", nanToNull(meanRange(overall, from, to)));
        }
        int slots = to > from ? obs[from].length : 0;
        double subj = 0;
        int subjN = 0, lost = 0, teleports = 0, jitterN = 0, frozen = 0;
        double jitter = 0;
        for (int j = 0; j < slots; j++) {
            List<double[]> labs = new ArrayList<>();
            Map<Shape, Integer> shapes = new LinkedHashMap<>();
            for (int t = from; t < to; t++) {
                Obs o = obs[t][j];
                if (o == null) {
                    lost++;
                    continue;
                }
                labs.add(o.lab());
                shapes.merge(o.shape(), 1, Integer::sum);
                if (t > from && obs[t - 1][j] != null) {
                    Obs p = obs[t - 1][j];
                    if (Math.hypot(o.x() - p.x(), o.y() - p.y()) > TELEPORT_UNITS) teleports++;
                    if (t + 1 < to && obs[t + 1][j] != null) {
                        Obs q = obs[t + 1][j];
                        jitter += Math.hypot(q.x() - 2 * o.x() + p.x(), q.y() - 2 * o.y() + p.y()) * unit;
                        jitterN++;
                    }
                }
            }
            if (labs.isEmpty()) continue;
            double[] med = medianLab(labs);
            double colorTerm = 0;
            for (double[] l : labs) colorTerm += consistency(Lab.deltaE(l, med));
            int majority = shapes.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            subj += colorTerm / labs.size() * majority / labs.size();
            subjN++;
        }
        // pulsing is excluded: at the turn of a pulse two frames can legitimately be identical
        boolean moving = exp == null || exp.stream().anyMatch(o -> o.motion() != Motion.STILL && o.motion() != Motion.PULSING)
                || script.world().segments().get(s).scene().background().panning();
        for (int t = from + 1; t < to; t++) if (moving && diffPrev.get(t) < FROZEN_DIFF) frozen++;
        List<double[]> bgLabs = new ArrayList<>();
        for (int t = from; t < to; t++) bgLabs.add(analyses.get(t).backgroundLab());
        double bgCons = 1;
        if (!bgLabs.isEmpty()) {
            double[] med = medianLab(bgLabs);
            bgCons = 0;
            for (double[] l : bgLabs) bgCons += consistency(Lab.deltaE(l, med));
            bgCons /= bgLabs.size();
        }
        double sharp = 0, noise = 0, pal = 0, clip = 0;
        int sharpN = 0;
        for (int t = from; t < to; t++) {
            FrameAnalysis a = analyses.get(t);
            if (!Double.isNaN(a.sharpness())) {
                sharp += a.sharpness();
                sharpN++;
            }
            noise += a.noise();
            pal += a.paletteError();
            clip += a.clipped();
        }
        int len = Math.max(1, to - from);
        return new EvalReport.SegmentReport(s, script.prompts().get(s), from, to, adherence, subjN == 0 ? 1 : subj / subjN, bgCons,
                jitterN == 0 ? 0 : jitter / jitterN, teleports, lost, frozen, sharpN == 0 ? 0 : sharp / sharpN, noise / len, pal / len, clip / len);
    }

    private EvalReport.SwitchReport switchReport(int s, int sf, int segEnd, Obs[][] obs, double[][] score, List<List<ObjectSpec>> expected) {
        boolean cut = hasWorld && script.world().segments().get(s).cut();
        Integer latency = null;
        if (hasWorld) {
            latency = -1;
            for (int t = sf; t + STABLE_FRAMES <= segEnd && latency < 0; t++) {
                boolean ok = true;
                for (int u = t; u < t + STABLE_FRAMES && ok; u++) {
                    for (int a : new int[] {0, 1, 2, 4, 5}) if (score[a][u] < 1) ok = false;
                }
                if (ok) latency = t - sf;
            }
        }
        double jump = 0;
        if (hasWorld) {
            List<ObjectSpec> before = expected.get(s - 1), after = expected.get(s);
            for (int j = 0; j < after.size(); j++) {
                for (int i = 0; i < before.size(); i++) {
                    if (before.get(i).id() != after.get(j).id()) continue;
                    Obs a = obs[sf - 1][i], b = obs[sf][j];
                    if (a != null && b != null) jump = Math.max(jump, Math.hypot(a.x() - b.x(), a.y() - b.y()));
                }
            }
        } else {
            for (Blob a : analyses.get(sf - 1).blobs()) {
                double best = Double.MAX_VALUE;
                for (Blob b : analyses.get(sf).blobs()) best = Math.min(best, Math.hypot(a.cx() - b.cx(), a.cy() - b.cy()) / unit);
                if (best < Double.MAX_VALUE) jump = Math.max(jump, best);
            }
        }
        return new EvalReport.SwitchReport(s, sf, cut, latency, jump, cut || jump <= JUMP_OK_UNITS);
    }

    private EvalReport.Summary summary(List<EvalReport.SegmentReport> segs, List<EvalReport.SwitchReport> switches) {
        Map<String, Double> byAttr = new LinkedHashMap<>();
        Double overallAdh = null;
        if (hasWorld) {
            double total = 0;
            int totalN = 0;
            for (String a : ATTRIBUTES) {
                double sum = 0, w = 0;
                for (EvalReport.SegmentReport r : segs) {
                    Double v = r.adherence().get(a);
                    if (v == null) continue;
                    sum += v * (r.endFrame() - r.startFrame());
                    w += r.endFrame() - r.startFrame();
                }
                byAttr.put(a, w == 0 ? null : sum / w);
                if (w > 0) {
                    total += sum / w;
                    totalN++;
                }
            }
            overallAdh = totalN == 0 ? null : total / totalN;
        }
        double subj = 0, bg = 0, jit = 0, sharp = 0, noise = 0, pal = 0, clip = 0, w = 0;
        int tele = 0, frozen = 0;
        for (EvalReport.SegmentReport r : segs) {
            double len = r.endFrame() - r.startFrame();
            subj += r.subjectConsistency() * len;
            bg += r.backgroundConsistency() * len;
            jit += r.jitterPx() * len;
            sharp += r.sharpness() * len;
            noise += r.noise() * len;
            pal += r.paletteError() * len;
            clip += r.clipped() * len;
            tele += r.teleports();
            frozen += r.frozenFrames();
            w += len;
        }
        w = Math.max(w, 1);
        Double latency = null;
        double maxJump = 0, latSum = 0;
        int latN = 0;
        for (EvalReport.SwitchReport s : switches) {
            if (s.latencyFrames() != null) {
                latSum += s.latencyFrames() < 0 ? (double) frameCount() : s.latencyFrames();
                latN++;
            }
            if (!s.cut()) maxJump = Math.max(maxJump, s.jump());
        }
        if (latN > 0) latency = latSum / latN;
        return new EvalReport.Summary(overallAdh, byAttr, subj / w, bg / w, jit / w, tele, frozen, sharp / w, noise / w, pal / w, clip / w,
                latency, maxJump);
    }

    private int frameCount() {
        return analyses.size();
    }

    private Map<String, EvalReport.Drift> drift(double[] overall) {
        int n = analyses.size();
        int bin = n / fps >= 120 ? (int) Math.round(60 * fps) : Math.max(1, (int) Math.ceil(n / 10.0));
        Map<String, double[]> series = new LinkedHashMap<>();
        if (hasWorld) series.put("adherence", overall);
        double[] sharp = new double[n], noise = new double[n], pal = new double[n], clip = new double[n];
        for (int t = 0; t < n; t++) {
            sharp[t] = analyses.get(t).sharpness();
            noise[t] = analyses.get(t).noise();
            pal[t] = analyses.get(t).paletteError();
            clip[t] = analyses.get(t).clipped();
        }
        series.put("sharpness", sharp);
        series.put("noise", noise);
        series.put("paletteError", pal);
        series.put("clipped", clip);
        List<int[]> ranges = new ArrayList<>();
        for (int b = 0; b < n; b += bin) ranges.add(new int[] {b, Math.min(n, b + bin)});
        // A generated video has 1 + 4k frames, so a 10-minute one ends with a bin of a single frame; judged alone it
        // would be "the last minute". A remainder shorter than half a bin joins the bin before it.
        if (ranges.size() > 1 && ranges.getLast()[1] - ranges.getLast()[0] < bin / 2.0)
            ranges.get(ranges.size() - 2)[1] = ranges.removeLast()[1];
        Map<String, EvalReport.Drift> out = new LinkedHashMap<>();
        for (var e : series.entrySet()) {
            List<Double> bins = new ArrayList<>();
            List<Double> centers = new ArrayList<>();
            for (int[] r : ranges) {
                double m = meanRange(e.getValue(), r[0], r[1]);
                if (Double.isNaN(m)) continue;
                bins.add(m);
                centers.add((r[0] + r[1]) / 2.0 / fps / 60);
            }
            if (bins.isEmpty()) continue;
            double first = bins.get(0), last = bins.get(bins.size() - 1);
            out.put(e.getKey(), new EvalReport.Drift(bin / fps, bins, first, last, last - first, slope(centers, bins)));
        }
        return out;
    }

    private EvalReport.Timeline timeline(double[] overall, int[] sw) {
        int n = analyses.size(), step = Math.max(1, (int) Math.ceil(n / 1500.0));
        List<Double> adh = new ArrayList<>(), sharp = new ArrayList<>(), noise = new ArrayList<>();
        List<Integer> seg = new ArrayList<>();
        double[] s = new double[n], no = new double[n];
        for (int t = 0; t < n; t++) {
            s[t] = analyses.get(t).sharpness();
            no[t] = analyses.get(t).noise();
        }
        for (int t = 0; t < n; t += step) {
            int e = Math.min(n, t + step);
            adh.add(hasWorld ? nanToNull(meanRange(overall, t, e)) : null);
            sharp.add(nanToNull(meanRange(s, t, e)));
            noise.add(nanToNull(meanRange(no, t, e)));
            seg.add(Script.segmentAt(sw, t));
        }
        return new EvalReport.Timeline(step, adh, sharp, noise, seg);
    }

    /** 1 within the tolerance, falling linearly to 0 over the next {@link #CONSISTENCY_DE}. */
    static double consistency(double deltaE) {
        return Math.max(0, 1 - Math.max(0, deltaE - CONSISTENCY_TOLERANCE_DE) / CONSISTENCY_DE);
    }

    static double slope(List<Double> x, List<Double> y) {
        int n = x.size();
        if (n < 2) return 0;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x.get(i);
            my += y.get(i);
        }
        mx /= n;
        my /= n;
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            num += (x.get(i) - mx) * (y.get(i) - my);
            den += (x.get(i) - mx) * (x.get(i) - mx);
        }
        return den == 0 ? 0 : num / den;
    }

    private static double[] column(double[][] m, int t) {
        double[] c = new double[m.length];
        for (int i = 0; i < m.length; i++) c[i] = m[i][t];
        return c;
    }

    private static double mean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) if (!Double.isNaN(x)) {
            s += x;
            n++;
        }
        return n == 0 ? Double.NaN : s / n;
    }

    private static double meanRange(double[] v, int from, int to) {
        double s = 0;
        int n = 0;
        for (int i = from; i < to; i++) if (!Double.isNaN(v[i])) {
            s += v[i];
            n++;
        }
        return n == 0 ? Double.NaN : s / n;
    }

    private static Double nanToNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static double[] medianLab(List<double[]> labs) {
        double[] out = new double[3];
        double[] tmp = new double[labs.size()];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < labs.size(); i++) tmp[i] = labs.get(i)[c];
            Arrays.sort(tmp);
            out[c] = tmp[tmp.length / 2];
        }
        return out;
    }
}
