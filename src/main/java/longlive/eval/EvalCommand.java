package longlive.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import longlive.kernel.Parallel;
import longlive.video.FrameSource;
import longlive.video.VideoFiles;
import longlive.world.Script;
import longlive.world.ScriptIo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code longlive eval VIDEO --script SCRIPT.jsonl}: pixel metrics of a video against its prompt script. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score a video (MP4 or a folder of PNG frames) against a prompt script from its pixels: adherence per segment,",
                "consistency, smoothness, image quality, switch responsiveness and drift. Prints a summary and writes",
                "a JSON report and an HTML page with plots."})
public final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "video: .mp4 file or folder of PNG frames")
    Path video;

    @Option(names = "--script", required = true, description = "script JSONL (a plain LongLive {\"prompts\": [...]} line works, without adherence)")
    Path script;

    @Option(names = "--line", defaultValue = "1", description = "which script line (1-based), default ${DEFAULT-VALUE}")
    int line;

    @Option(names = "--json", description = "JSON report path (default: VIDEO.eval.json next to the video)")
    Path json;

    @Option(names = "--html", description = "HTML report path (default: VIDEO.eval.html next to the video)")
    Path html;

    @Option(names = "--threads", defaultValue = "0", description = "analysis threads (0 = all cores)")
    int threads;

    @Override
    public Integer call() throws Exception {
        List<Script> scripts = ScriptIo.read(script);
        if (line < 1 || line > scripts.size()) throw new IllegalArgumentException("--line " + line + " is outside 1.." + scripts.size());
        Script s = scripts.get(line - 1);
        long t0 = System.nanoTime();
        EvalReport r;
        try (FrameSource src = VideoFiles.open(video); Parallel parallel = threads > 0 ? new Parallel(threads) : Parallel.allCores()) {
            r = Evaluator.evaluate(src, s, video.toString(), script.toString(), parallel);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        String base = video.toAbsolutePath().normalize().toString().replaceAll("[/\\\\]+$", "");
        Path jsonOut = json != null ? json : Path.of(base + ".eval.json");
        Path htmlOut = html != null ? html : Path.of(base + ".eval.html");
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(jsonOut, m.writeValueAsString(r));
        HtmlReport.write(r, htmlOut);
        System.out.print(summaryText(r));
        System.out.printf("evaluated %d frames in %.1f s; wrote %s and %s%n", r.frames(), secs, jsonOut, htmlOut);
        return 0;
    }

    static String summaryText(EvalReport r) {
        StringBuilder b = new StringBuilder();
        EvalReport.Summary s = r.summary();
        b.append(String.format("%s: %dx%d, %d frames (%.1f s), %d segment(s)%n", r.video(), r.width(), r.height(), r.frames(), r.frames() / r.fps(),
                r.segments().size()));
        if (s.adherence() != null) {
            b.append(String.format("  adherence %.3f  (", s.adherence()));
            for (Map.Entry<String, Double> e : s.adherenceByAttribute().entrySet()) {
                b.append(e.getKey()).append(' ').append(e.getValue() == null ? "-" : String.format("%.3f", e.getValue())).append("  ");
            }
            b.setLength(b.length() - 2);
            b.append(")\n");
        } else {
            b.append("  adherence: not measured (the script has no \"world\" part)\n");
        }
        b.append(String.format("  consistency: subject %.3f, background %.3f%n", s.subjectConsistency(), s.backgroundConsistency()));
        b.append(String.format("  motion: jitter %.2f px/frame, %d teleport(s), %d frozen frame(s)%n", s.jitterPx(), s.teleports(), s.frozenFrames()));
        b.append(String.format("  quality: sharpness %.3f, noise %.2f, palette error %.2f, clipped %.4f%n", s.sharpness(), s.noise(), s.paletteError(),
                s.clipped()));
        for (EvalReport.SwitchReport w : r.switches()) {
            b.append(String.format("  switch %d at frame %d%s: %s, jump %.3f%s%n", w.index(), w.frame(), w.cut() ? " (cut)" : "",
                    w.latencyFrames() == null ? "latency n/a" : w.latencyFrames() < 0 ? "new attributes never held" : "new attributes after " + w.latencyFrames() + " frame(s)",
                    w.jump(), w.continuous() ? "" : "  <-- discontinuity"));
        }
        EvalReport.Drift d = r.drift().get(s.adherence() != null ? "adherence" : "sharpness");
        if (d != null) b.append(String.format("  drift (%s): %.3f -> %.3f over the video%n", s.adherence() != null ? "adherence" : "sharpness", d.first(), d.last()));
        return b.toString();
    }
}
