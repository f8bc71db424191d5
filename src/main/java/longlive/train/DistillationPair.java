package longlive.train;

import java.io.IOException;
import java.nio.file.Path;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.RandomModel;

/**
 * The two model directories a distribution-matching stage ({@code train dmd}, {@code train long}) starts from: the
 * student it trains and the teacher whose DiT becomes the real score and the critic's starting point. Both scores are
 * evaluated on the student's own latents, so the DiTs must share one architecture and one latent size; anything else
 * is refused here, by name, before any weights are loaded.
 */
record DistillationPair(ModelDirectory student, ModelDirectory teacher) {

    static DistillationPair open(Path student, Path teacher) throws IOException {
        ModelDirectory s = ModelDirectory.open(student), t = ModelDirectory.open(teacher);
        if (!RandomModel.ditJson(s.dit()).equals(RandomModel.ditJson(t.dit())))
            throw new IllegalArgumentException(teacher + ": the teacher's DiT config differs from the student's (" + student
                    + "); generator, critic and real score need one architecture");
        if (s.latentHeight() != t.latentHeight() || s.latentWidth() != t.latentWidth())
            throw new IllegalArgumentException(teacher + ": latent size " + t.latentHeight() + "x" + t.latentWidth()
                    + " differs from the student's " + s.latentHeight() + "x" + s.latentWidth() + " (" + student + ")");
        return new DistillationPair(s, t);
    }
}
