package longlive.train;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import longlive.dit.DitConfig;
import longlive.io.WanVaeCheckpoint;
import longlive.text.T5Config;
import longlive.vae.VaeConfig;
import longlive.vae.VaeWeights;

/** A tiny teacher model directory made by stage 3 itself (a random VAE, 20 steps), for the later stages' tests. */
final class TinyTeacher {
    static final VaeConfig VAE = new VaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));

    private TinyTeacher() {}

    /** One tensor of a safetensors file. */
    static float[] tensor(Path file, String key) {
        try (longlive.io.StateDict sd = longlive.io.SafeTensors.load(file)) {
            return sd.tensor(key).data();
        }
    }

    /** Trains it under {@code dir} and returns the teacher's model directory. */
    static Path make(Path dir) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Path vaeRun = dir.resolve("vae-run");
        Path vae = vaeRun.resolve("vae");
        Files.createDirectories(vae);
        WanVaeCheckpoint.save(VaeWeights.random(VAE, 7), vae.resolve("model.safetensors"));
        Files.writeString(vae.resolve("vae_config.json"), VaeTraining.configJson(VAE).toString());
        Files.writeString(vae.resolve("latent_stats.json"), "{\"mean\": [0, 0, 0, 0], \"std\": [1, 1, 1, 1]}");
        DitConfig dit = TeacherTraining.ditConfig(32, 64, 2, 1, VAE.zDim(), 64, 16, 2);
        T5Config t5 = new T5Config(1, 16, 16, 32, 2, 1, 32, false);
        Path run = dir.resolve("teacher-run");
        TeacherTraining.Options o = new TeacherTraining.Options(vaeRun, run, dit, t5, 32, 6, 4, 2, 3e-3, 2, 20, 1.0, 0.5,
                0.0, 0.2, 5.0, 0.0, 3, 1, 1);
        TeacherTraining t = new TeacherTraining(o, quiet);
        new Trainer().run(t, new Trainer.Options(run, 20, 100, 2, true, 100), new ProgressPrinter(quiet, 20, 100), false);
        Path teacher = t.export(20, 0);
        t.close();
        return teacher;
    }
}
