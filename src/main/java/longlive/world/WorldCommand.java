package longlive.world;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import longlive.video.FrameSink;
import longlive.video.VideoFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code longlive world}: the Shapes world's scripts, ground-truth videos and held-out data. */
@Command(name = "world", mixinStandardHelpOptions = true,
        description = "The Shapes world: random prompt scripts, their ground-truth videos, and a held-out clip set.",
        subcommands = {WorldCommand.Render.class, WorldCommand.RandomScript.class, WorldCommand.Export.class})
public final class WorldCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static int[] parseSize(String s) {
        String[] p = s.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            int w = Integer.parseInt(p[0].trim()), h = p.length > 1 ? Integer.parseInt(p[1].trim()) : w;
            if (w < 32 || h < 32) throw new IllegalArgumentException("--size must be at least 32x32, got " + s);
            return new int[] {w, h};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--size must look like 128 or 160x96, got " + s);
        }
    }

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Render the ground-truth video of a script line (its \"world\" part) to MP4 or a PNG folder.")
    static final class Render implements Callable<Integer> {
        @Parameters(index = "0", description = "script JSONL file")
        Path script;

        @Option(names = {"-o", "--out"}, required = true, description = "output .mp4 file, or a folder for PNG frames")
        Path out;

        @Option(names = "--line", defaultValue = "1", description = "which script line (1-based), default ${DEFAULT-VALUE}")
        int line;

        @Option(names = "--size", defaultValue = "128", description = "frame size, e.g. 64 or 160x96; default ${DEFAULT-VALUE}")
        String size;

        @Override
        public Integer call() throws Exception {
            List<Script> scripts = ScriptIo.read(script);
            if (line < 1 || line > scripts.size()) throw new IllegalArgumentException("--line " + line + " is outside 1.." + scripts.size());
            Script s = scripts.get(line - 1);
            int[] wh = parseSize(size);
            long t0 = System.nanoTime();
            try (FrameSink sink = VideoFiles.create(out, s.fps())) {
                GroundTruth.render(s, wh[0], wh[1], sink);
            }
            System.out.printf("wrote %s: %d frames %dx%d at %d fps (%.1f s of video) in %.1f s%n", out, s.totalFrames(), wh[0], wh[1],
                    s.fps(), s.lengthSeconds(), (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }

    @Command(name = "script", mixinStandardHelpOptions = true,
            description = "Write random multi-segment scripts (LongLive JSONL plus switch times and the structured world).")
    static final class RandomScript implements Callable<Integer> {
        @Option(names = {"-o", "--out"}, required = true, description = "output .jsonl")
        Path out;

        @Option(names = "--seed", defaultValue = "1", description = "seed of the first script; line i uses seed+i")
        long seed;

        @Option(names = "--count", defaultValue = "1", description = "number of scripts (lines)")
        int count;

        @Option(names = "--length", defaultValue = "30", description = "video length in seconds, default ${DEFAULT-VALUE}")
        double length;

        @Option(names = "--segments", defaultValue = "4", description = "prompts per script, default ${DEFAULT-VALUE}")
        int segments;

        @Option(names = "--aspect", defaultValue = "1.0", description = "width/height the world is laid out for")
        double aspect;

        @Option(names = "--cut-probability", defaultValue = "0.1", description = "chance that a switch is a scene cut")
        double cuts;

        @Option(names = "--max-objects", defaultValue = "3", description = "1..3")
        int maxObjects;

        @Option(names = "--no-panning", description = "never pan patterned backgrounds")
        boolean noPanning;

        @Override
        public Integer call() throws Exception {
            if (count < 1) throw new IllegalArgumentException("--count must be >= 1");
            ScriptGenerator.Options opt = new ScriptGenerator.Options(length, segments, aspect, Script.DEFAULT_FPS, cuts, !noPanning, maxObjects);
            List<Script> scripts = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) scripts.add(ScriptGenerator.generate(seed + i, opt));
            ScriptIo.write(out, scripts);
            System.out.println("wrote " + count + " script(s) to " + out + "; first prompts:");
            for (String p : scripts.get(0).prompts()) System.out.println("  " + p);
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Export a fixed held-out set of training-stream clips (clip_NNNNN.mp4 + clips.jsonl).")
    static final class Export implements Callable<Integer> {
        @Option(names = {"-o", "--out"}, required = true, description = "output folder")
        Path out;

        @Option(names = "--seed", defaultValue = "1000003", description = "stream seed (train with a different one)")
        long seed;

        @Option(names = "--count", defaultValue = "64", description = "number of clips")
        int count;

        @Option(names = "--frames", defaultValue = "81", description = "frames per clip (LongLive: 81)")
        int frames;

        @Option(names = "--size", defaultValue = "64", description = "frame size, default ${DEFAULT-VALUE}")
        String size;

        @Option(names = "--switch-probability", defaultValue = "0.3", description = "share of clips with a prompt switch")
        double switches;

        @Override
        public Integer call() throws Exception {
            int[] wh = parseSize(size);
            new ClipStream(seed, new ClipStream.Options(wh[0], wh[1], frames, switches, Script.DEFAULT_FPS)).export(out, count);
            System.out.println("wrote " + count + " clips to " + out);
            return 0;
        }
    }
}
