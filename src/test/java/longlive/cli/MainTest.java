package longlive.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    @Test
    void helpListsTheProgramAndExitsZero() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        int code = cli.execute("--help");
        assertEquals(0, code);
        assertTrue(out.toString().contains("longlive"), out.toString());
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(new StringWriter()));
        assertEquals(2, cli.execute("no-such-command"));
    }
}
