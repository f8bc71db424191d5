package longlive.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import longlive.world.ScriptGenerator;
import longlive.world.ScriptIo;
import longlive.world.WorldCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The two commands end to end: render a script's ground truth, evaluate it, read the JSON and HTML back. */
class EvalCommandTest {
    @TempDir
    Path dir;

    @Test
    void renderThenEvaluateWritesJsonAndHtml() throws Exception {
        Path script = dir.resolve("s.jsonl"), video = dir.resolve("s.mp4"), json = dir.resolve("r.json"), html = dir.resolve("r.html");
        ScriptIo.write(script, List.of(ScriptGenerator.generate(4, ScriptGenerator.Options.of(4, 2))));
        CommandLine world = new CommandLine(new WorldCommand());
        world.setErr(new PrintWriter(new StringWriter()));
        assertEquals(0, world.execute("render", script.toString(), "-o", video.toString(), "--size", "64"));
        CommandLine eval = new CommandLine(new EvalCommand());
        assertEquals(0, eval.execute(video.toString(), "--script", script.toString(), "--json", json.toString(), "--html", html.toString(),
                "--threads", "2"));
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertEquals(64, r.get("frames").asInt());
        assertTrue(r.at("/summary/adherence").asDouble() > 0.97, r.get("summary").toString());
        assertEquals(2, r.get("segments").size());
        String page = Files.readString(html);
        assertTrue(page.contains("<svg") && page.contains("Switch responsiveness") && page.contains("Drift"), "html sections");
        StringWriter err = new StringWriter();
        eval.setErr(new PrintWriter(err));
        assertTrue(eval.execute(dir.resolve("missing.mp4").toString(), "--script", script.toString()) != 0, "a missing video fails");
    }
}
