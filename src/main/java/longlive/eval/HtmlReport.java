package longlive.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders an {@link EvalReport} as one self-contained HTML page (inline SVG, no scripts or downloads): the
 * summary, adherence along the timeline with the segments and switches marked, a per-segment attribute table
 * coloured by score, switch responsiveness, and drift curves.
 */
public final class HtmlReport {
    private static final int W = 900;
    private static final String[] SEGMENT_FILL = {"#eef3fb", "#fbf3ea"};

    private HtmlReport() {
    }

    public static void write(EvalReport r, Path file) throws IOException {
        Files.writeString(file, render(r), StandardCharsets.UTF_8);
    }

    public static String render(EvalReport r) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>LongLive eval: ").append(esc(r.video())).append("</title>")
                .append("<style>body{font-family:sans-serif;margin:24px;max-width:960px;color:#222}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px}th{background:#f4f4f4}.p{max-width:420px}")
                .append("h2{margin-top:28px;font-size:18px}.note{color:#666;font-size:13px}</style></head><body>");
        h.append("<h1>Evaluation of ").append(esc(r.video())).append("</h1><p class=\"note\">")
                .append(r.width()).append('x').append(r.height()).append(", ").append(r.frames()).append(" frames at ")
                .append(fmt(r.fps())).append(" fps (").append(fmt(r.frames() / r.fps())).append(" s); script ")
                .append(esc(String.valueOf(r.script()))).append(r.hasWorld() ? "" : " (prompts only: no adherence figures)").append("</p>");
        summary(h, r.summary());
        h.append("<h2>Adherence along the timeline</h2><p class=\"note\">Share of stated attributes that hold per frame; shaded bands are ")
                .append("prompt segments, vertical lines are switches (red: the object jumped), grey line: edge sharpness.</p>");
        timeline(h, r);
        segments(h, r);
        switches(h, r);
        drift(h, r.drift());
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void summary(StringBuilder h, EvalReport.Summary s) {
        h.append("<h2>Summary</h2><table>");
        row(h, "adherence (mean over attributes)", s.adherence());
        for (var e : s.adherenceByAttribute().entrySet()) row(h, "&nbsp;&nbsp;" + e.getKey(), e.getValue());
        row(h, "subject consistency", s.subjectConsistency());
        row(h, "background consistency", s.backgroundConsistency());
        row(h, "jitter (px/frame)", s.jitterPx());
        row(h, "teleports", (double) s.teleports());
        row(h, "frozen frames", (double) s.frozenFrames());
        row(h, "edge sharpness (0.5 = crisp)", s.sharpness());
        row(h, "noise in flat regions", s.noise());
        row(h, "palette error (CIELAB)", s.paletteError());
        row(h, "clipped pixels", s.clipped());
        row(h, "mean switch latency (frames)", s.meanSwitchLatency());
        row(h, "largest jump at a switch (frame units)", s.maxSwitchJump());
        h.append("</table>");
    }

    private static void row(StringBuilder h, String name, Double v) {
        h.append("<tr><td>").append(name).append("</td><td>").append(v == null ? "&ndash;" : fmt(v)).append("</td></tr>");
    }

    private static void timeline(StringBuilder h, EvalReport r) {
        int hgt = 220, pad = 30;
        EvalReport.Timeline t = r.timeline();
        int n = t.segment().size();
        h.append(svgOpen(W, hgt + pad));
        double xs = (double) (W - 2 * pad) / Math.max(1, n);
        for (EvalReport.SegmentReport s : r.segments()) {
            double x0 = pad + s.startFrame() / (double) t.step() * xs, x1 = pad + s.endFrame() / (double) t.step() * xs;
            h.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"10\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", x0, Math.max(0, x1 - x0),
                    hgt - 20, SEGMENT_FILL[s.index() % 2]));
            h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"24\" font-size=\"11\" fill=\"#666\">%d</text>", x0 + 3, s.index()));
        }
        for (EvalReport.SwitchReport s : r.switches()) {
            double x = pad + s.frame() / (double) t.step() * xs;
            h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"10\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>", x, x, hgt - 10,
                    s.continuous() ? "#555" : "#d22"));
        }
        axis(h, pad, hgt, r.frames() / r.fps());
        polyline(h, t.sharpness(), pad, 10, xs, hgt - 20, 0, 0.6, "#999");
        polyline(h, t.adherence(), pad, 10, xs, hgt - 20, 0, 1, "#1a7f37");
        h.append("</svg>");
    }

    private static void axis(StringBuilder h, int pad, int hgt, double seconds) {
        h.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#333\"/>", pad, W - pad, hgt - 10, hgt - 10));
        for (int k = 0; k <= 5; k++) {
            double x = pad + k * (W - 2.0 * pad) / 5;
            h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s s</text>", x, hgt + 8,
                    fmt(seconds * k / 5)));
        }
        h.append(String.format(Locale.ROOT, "<text x=\"2\" y=\"16\" font-size=\"11\">1</text><text x=\"2\" y=\"%d\" font-size=\"11\">0</text>", hgt - 10));
    }

    private static void polyline(StringBuilder h, List<Double> v, int x0, int y0, double xs, int height, double lo, double hi, String color) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < v.size(); i++) {
            Double d = v.get(i);
            if (d == null) continue;
            double y = y0 + height * (1 - (Math.max(lo, Math.min(hi, d)) - lo) / (hi - lo));
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x0 + (i + 0.5) * xs, y));
        }
        h.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.5\" points=\"").append(pts).append("\"/>");
    }

    private static void segments(StringBuilder h, EvalReport r) {
        h.append("<h2>Per segment</h2><table><tr><th>#</th><th>frames</th><th class=\"p\">prompt</th>");
        List<String> attrs = r.hasWorld() && !r.segments().isEmpty() ? List.copyOf(r.segments().get(0).adherence().keySet()) : List.of();
        for (String a : attrs) h.append("<th>").append(a).append("</th>");
        h.append("<th>subject</th><th>backgr.</th><th>jitter</th><th>teleports</th><th>sharp</th><th>noise</th></tr>");
        for (EvalReport.SegmentReport s : r.segments()) {
            h.append("<tr><td>").append(s.index()).append("</td><td>").append(s.startFrame()).append("&ndash;").append(s.endFrame() - 1)
                    .append("</td><td class=\"p\">").append(esc(s.prompt())).append("</td>");
            for (String a : attrs) cell(h, s.adherence().get(a));
            cell(h, s.subjectConsistency());
            cell(h, s.backgroundConsistency());
            h.append("<td>").append(fmt(s.jitterPx())).append("</td><td>").append(s.teleports()).append("</td><td>").append(fmt(s.sharpness()))
                    .append("</td><td>").append(fmt(s.noise())).append("</td></tr>");
        }
        h.append("</table>");
    }

    /** A table cell shaded from red (0) to green (1). */
    private static void cell(StringBuilder h, Double v) {
        if (v == null) {
            h.append("<td>&ndash;</td>");
            return;
        }
        int hue = (int) Math.round(120 * Math.max(0, Math.min(1, v)));
        h.append("<td style=\"background:hsl(").append(hue).append(",70%,80%)\">").append(fmt(v)).append("</td>");
    }

    private static void switches(StringBuilder h, EvalReport r) {
        h.append("<h2>Switch responsiveness</h2>");
        if (r.switches().isEmpty()) {
            h.append("<p class=\"note\">No prompt switches.</p>");
            return;
        }
        h.append("<p class=\"note\">Bars: frames until the new prompt's colour, shape, size, background and object count hold (4 frames in a row); ")
                .append("red bars never got there. Numbers below: jump of continuing objects (frame units).</p>");
        int bw = 60, hgt = 160;
        int max = 1;
        for (EvalReport.SwitchReport s : r.switches()) if (s.latencyFrames() != null) max = Math.max(max, Math.max(s.latencyFrames(), 8));
        h.append(svgOpen(Math.max(200, 40 + bw * r.switches().size()), hgt + 40));
        int i = 0;
        for (EvalReport.SwitchReport s : r.switches()) {
            int x = 30 + i * bw;
            Integer lat = s.latencyFrames();
            double val = lat == null ? 0 : lat < 0 ? max : lat;
            double bh = (hgt - 20) * val / max;
            h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>", x, hgt - bh, bw - 16,
                    Math.max(1, bh), lat != null && lat < 0 ? "#d22" : "#3b6fb6"));
            h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\">%s</text>", x, hgt - bh - 3,
                    lat == null ? "n/a" : lat < 0 ? "never" : lat + " fr"));
            h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">#%d%s</text>", x, hgt + 14, s.index(), s.cut() ? " cut" : ""));
            h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>", x, hgt + 28,
                    s.continuous() ? "#333" : "#d22", fmt(s.jump())));
            i++;
        }
        h.append("</svg>");
    }

    private static void drift(StringBuilder h, Map<String, EvalReport.Drift> drift) {
        h.append("<h2>Drift</h2><p class=\"note\">Each figure per time bin from the start to the end of the video, with its change from the ")
                .append("first to the last bin and the least-squares slope per minute.</p>");
        int cw = 280, ch = 120;
        for (var e : drift.entrySet()) {
            EvalReport.Drift d = e.getValue();
            double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
            for (double v : d.bins()) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (e.getKey().equals("adherence")) { // a share: always on its full scale, so 0.999 does not look like a crash
                lo = 0;
                hi = 1;
            }
            double minRange = Math.max(1e-6, 0.2 * Math.max(Math.abs(lo), Math.abs(hi)));
            if (hi - lo < minRange) {
                double mid = (hi + lo) / 2;
                lo = mid - minRange / 2;
                hi = mid + minRange / 2;
            }
            h.append("<div style=\"display:inline-block;margin:6px\"><div style=\"font-size:13px\">").append(esc(e.getKey())).append(": ")
                    .append(fmt(d.first())).append(" &rarr; ").append(fmt(d.last())).append(" (slope ").append(fmt(d.slopePerMinute()))
                    .append("/min)</div>").append(svgOpen(cw, ch));
            double xs = (cw - 20.0) / Math.max(1, d.bins().size());
            polyline(h, d.bins().stream().map(Double::valueOf).toList(), 10, 8, xs, ch - 16, lo, hi, "#8a3ffc");
            h.append(String.format(Locale.ROOT, "<text x=\"2\" y=\"12\" font-size=\"10\" fill=\"#666\">%s</text><text x=\"2\" y=\"%d\" font-size=\"10\" fill=\"#666\">%s</text>",
                    fmt(hi), ch - 4, fmt(lo)));
            h.append("</svg></div>");
        }
    }

    private static String svgOpen(int w, int h) {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h
                + "\" style=\"background:#fff;border:1px solid #ddd\">";
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) return "&ndash;";
        if (v == Math.rint(v) && Math.abs(v) < 1e6) return String.valueOf((long) v);
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.3f", v);
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
