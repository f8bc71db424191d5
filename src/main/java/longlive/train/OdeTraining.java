package longlive.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitParams;
import longlive.dit.DitState;
import longlive.dit.DitTape;
import longlive.dit.DitTraining;
import longlive.dit.DitWeights;
import longlive.dit.FullSequenceDit;
import longlive.kernel.KeyMask;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.RandomModel;
import longlive.sampling.FlowMatchSchedule;
import longlive.stream.InferenceConfig;
import longlive.text.T5Kernels;
import longlive.text.TextEncoder;
import longlive.text.tokenizer.WorldCaptions;

/**
 * Training stage 4a: the causal student's initialisation by ODE-trajectory regression (CausVid §4.3, Self-Forcing
 * {@code ode_regression.py}). The bidirectional teacher, guided with classifier-free guidance, solves the flow ODE
 * from noise for world captions with an Euler sampler of {@code odeSteps} steps on the shifted schedule; each
 * trajectory is kept at the student's four denoising timesteps (steps 0, N/4, N/2, 3N/4, which for shift 5 are
 * exactly the warped [1000, 937.5, 833.3, 625]) and at its clean end. The student (same architecture, initialised
 * from the teacher's weights) sees each block of 3 frames at one of the four stored points, under the block-causal
 * mask, and regresses the clean end ({@link OdeRegressionLoss}); the text encoder is frozen.
 *
 * <p>Output: {@code RUN/student/}, a streaming model directory (the teacher's with the student's EMA DiT).
 */
public final class OdeTraining implements Trainer.ExportingStage {
    static final String PART = "student";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param teacher      the teacher's model directory (stage 3's {@code RUN/teacher})
     * @param pairs        trajectories to generate (once; reused on resume)
     * @param latentFrames latent frames per trajectory (a multiple of the block size 3)
     * @param odeSteps     Euler steps of the teacher's sampler (a multiple of 4)
     * @param guidance     classifier-free guidance scale of the teacher
     */
    public record Options(Path teacher, Path runDir, int pairs, int latentFrames, int odeSteps, double guidance,
                          int batch, double lr, int warmup, long steps, double gradClip, double emaDecay, long seed,
                          int threads) {
        public Options {
            if (pairs < 1 || batch < 1 || threads < 1) throw new IllegalArgumentException("pairs, batch, threads must be >= 1");
            if (latentFrames < 3 || latentFrames % 3 != 0)
                throw new IllegalArgumentException("--latent-frames must be a positive multiple of 3 (the block size), got " + latentFrames);
            if (odeSteps < 4 || odeSteps % 4 != 0) throw new IllegalArgumentException("--ode-steps must be a multiple of 4, got " + odeSteps);
            if (!(lr > 0) || warmup < 0 || !(gradClip > 0) || !(emaDecay >= 0 && emaDecay < 1))
                throw new IllegalArgumentException("bad lr / warm-up / grad clip / EMA decay");
        }
    }

    private final Options o;
    private final PrintStream log;
    private final Parallel par;
    private final ModelDirectory teacherDir;
    private final DitConfig cfg;
    private final InferenceConfig inf;
    private final FlowMatchSchedule schedule;
    private final float[] denoising;           // the student's warped denoising timesteps, e.g. [1000, 937.5, 833.3, 625]
    private final TextEncoder text;
    private final LatentClips trajectories;    // entry = [points, F, z, h, w] flattened as (points * F) frames
    private final int points, frames, h, w, frameSize;
    private final DitWeights student;
    private final KeyMask mask;
    private final ParamSet params;
    private final AdamW adam;
    private final Ema ema;
    /** One per concurrently regressed trajectory; worker 0 accumulates into {@link #params}' own gradients. */
    private final RegressionWorker[] workers;

    public OdeTraining(Options o, PrintStream log) throws IOException {
        this.o = o;
        this.log = log;
        this.par = new Parallel(o.threads());
        Files.createDirectories(o.runDir());
        teacherDir = ModelDirectory.open(o.teacher());
        cfg = teacherDir.dit();
        inf = teacherDir.inference();
        schedule = new FlowMatchSchedule(inf.timestepShift());
        denoising = schedule.denoisingTimesteps(inf.denoisingStepList(), inf.warpDenoisingStep());
        points = denoising.length + 1;
        if (inf.numFramePerBlock() != 3) throw new IllegalArgumentException(o.teacher() + ": the student stage expects 3 frames per block");
        frames = o.latentFrames();
        h = teacherDir.latentHeight();
        w = teacherDir.latentWidth();
        frameSize = cfg.inDim() * h * w;
        text = TextEncoder.load(teacherDir.t5Weights(), teacherDir.tokenizer(), cfg.textLen(), T5Kernels.fast(par), 4096);
        DitKernels dk = DitKernels.fast(par);
        DitWeights teacherWeights = teacherDir.loadDit(dk.matMul());
        trajectories = trajectories(teacherWeights, dk);
        student = teacherDir.loadDit(dk.matMul());
        DitWeights grad = DitTraining.zerosLike(student);
        mask = KeyMask.blockCausal(frames, cfg.frameSeqLen(h, w), 3, -1);
        params = new ParamSet();
        DitParams.register(student, grad, params::add);
        adam = new AdamW(params, new AdamWConfig(0.9, 0.999, 1e-8, 0.0));
        ema = new Ema(params, o.emaDecay());
        // As in the teacher stage: threads take whole trajectories of the batch, each with serial kernels.
        int nWorkers = Math.min(o.threads(), o.batch());
        workers = new RegressionWorker[nWorkers];
        for (int i = 0; i < nWorkers; i++)
            workers[i] = new RegressionWorker(nWorkers == 1 ? dk : DitKernels.fast(Parallel.serial()),
                    i == 0 ? grad : DitTraining.zerosLike(student));
        log.printf("ode init: student = teacher's DiT (%s parameters); %d trajectories of %d latent frames (%dx%d), "
                        + "teacher %d Euler steps, CFG %.1f; denoising timesteps %s; batch %d, lr %.2g, %d threads%n",
                params.count(), trajectories.count(), frames, h, w, o.odeSteps(), o.guidance(), Arrays.toString(denoising),
                o.batch(), o.lr(), o.threads());
    }

    /** Generates (or reloads) the teacher's trajectories. */
    private LatentClips trajectories(DitWeights teacher, DitKernels dk) throws IOException {
        Path file = o.runDir().resolve("ode_pairs.bin");
        String origin = "teacher=" + o.teacher().toAbsolutePath().normalize() + ";frames=" + frames + ";steps=" + o.odeSteps()
                + ";cfg=" + o.guidance() + ";seed=" + o.seed() + ";points=" + Arrays.toString(denoising);
        LatentClips old = LatentClips.readIfMadeFrom(file, origin);
        if (old != null && old.count() == o.pairs()) {
            log.printf("ode pairs: reusing %s (%d trajectories)%n", file, old.count());
            return old;
        }
        List<String> captions = WorldCaptions.sample(o.seed(), (o.pairs() + 3) / 4).subList(0, o.pairs());   // 4 prompts per script
        // Trajectories are independent: threads take whole ones, each with its own sampler (a kernel called from a
        // pool thread runs serially), so the work splits well even where one clip's matrices are too small to.
        int workers = Math.min(par.threads(), o.pairs());
        TeacherSampler[] samplers = new TeacherSampler[workers];
        for (int k = 0; k < workers; k++) samplers[k] = new TeacherSampler(teacher, dk, text, schedule, frames, h, w);
        int entry = points * frames * frameSize;
        float[] data = new float[Math.multiplyExact(o.pairs(), entry)];
        long t0 = System.nanoTime();
        AtomicInteger done = new AtomicInteger();
        par.forEach(workers, k -> {
            float[] noise = new float[frames * frameSize];
            for (int i = k; i < o.pairs(); i += workers) {
                VaeTraining.gaussian(StepRng.of(o.seed(), StepRng.NOISE, i), noise);
                samplers[k].sample(captions.get(i), noise, o.odeSteps(), o.guidance(), points - 1, data, i * entry);
                int n = done.incrementAndGet();
                if (n % 64 == 0 || n == o.pairs())
                    log.printf("ode pairs: %d/%d trajectories (%.1f s)%n", n, o.pairs(), (System.nanoTime() - t0) / 1e9);
            }
        });
        return LatentClips.of(file, origin, points * frames, cfg.inDim(), h, w, data, captions.toArray(String[]::new));
    }

    /** The stored trajectories (for tests): entry {@code i} holds {@code points × frames} latent frames. */
    LatentClips trajectories() {
        return trajectories;
    }

    int points() {
        return points;
    }

    ParamSet params() {
        return params;
    }

    @Override
    public String name() {
        return "ode";
    }

    double lr(long step) {
        if (step < o.warmup()) return o.lr() * (step + 1) / o.warmup();
        double p = Math.min(1.0, (double) (step - o.warmup()) / Math.max(1, o.steps() - o.warmup()));
        return o.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
    }

    @Override
    public Trainer.StepResult step(long step) {
        double loss = accumulateGradients(step), lr = lr(step);
        double norm = Trainer.applyUpdate("ode", step, params, o.gradClip(), adam, lr, ema);
        return new Trainer.StepResult(loss, norm, lr);
    }

    /** Step {@code step}'s batch: every trajectory's loss and gradient, summed into {@link #params}; the mean loss. */
    double accumulateGradients(long step) {
        params.zeroGrad();
        double[] losses = new double[o.batch()];
        par.forEach(workers.length, wi -> {
            RegressionWorker worker = workers[wi];
            if (wi > 0) worker.zeroGrad();
            for (int b = wi; b < o.batch(); b += workers.length) {
                long draw = step * o.batch() + b;
                int j = StepRng.of(o.seed(), StepRng.DATA, draw).nextInt(trajectories.count());
                trajectories.copy(j, worker.entry);
                int[] idx = TimestepSampler.odeIndices(StepRng.of(o.seed(), StepRng.TIMESTEP, draw), frames, 3, points - 1);
                losses[b] = worker.regress(trajectories.caption(j), idx, 1.0 / o.batch(), true);
            }
        });
        for (int wi = 1; wi < workers.length; wi++) workers[wi].addGradTo(workers[0]);   // fixed order: same sum every run
        double loss = 0;
        for (double l : losses) loss += l;
        return loss / o.batch();
    }

    /** One trajectory's regression at a time, with its own tape, buffers and gradient arrays. */
    private final class RegressionWorker {
        final DitTraining train;
        final DitTape tape;
        final DitWeights grad;
        final GradientArrays gradArrays = new GradientArrays();
        final float[] entry, xin, target, flowOut, x0, dX0, dFlow, ts;

        RegressionWorker(DitKernels kernels, DitWeights grad) {
            this.grad = grad;
            train = new DitTraining(student, kernels);
            tape = new DitTape(cfg, frames, cfg.frameSeqLen(h, w));
            DitParams.register(student, grad, (name, v, g, shape) -> gradArrays.add(g));
            int n = frames * frameSize;
            entry = new float[points * n];
            xin = new float[n];
            target = new float[n];
            flowOut = new float[n];
            x0 = new float[n];
            dX0 = new float[n];
            dFlow = new float[n];
            ts = new float[frames];
        }

        void zeroGrad() {
            gradArrays.zero();
        }

        void addGradTo(RegressionWorker into) {
            gradArrays.addTo(into.gradArrays);
        }

        /** Regression loss of {@link #entry} with frame f at stored point {@code idx[f]}; optionally backward. */
        double regress(String caption, int[] idx, double scale, boolean backward) {
            for (int f = 0; f < frames; f++) {
                System.arraycopy(entry, (idx[f] * frames + f) * frameSize, xin, f * frameSize, frameSize);
                ts[f] = denoising[idx[f]];
            }
            System.arraycopy(entry, (points - 1) * frames * frameSize, target, 0, frames * frameSize);
            float[] prompt = text.encode(caption).data();
            train.forward(tape, xin, 0, frames, h, w, ts, prompt, cfg.textLen(), mask, flowOut, 0);
            for (int f = 0; f < frames; f++) schedule.x0FromVelocity(xin, f * frameSize, flowOut, f * frameSize, ts[f], x0, f * frameSize, frameSize);
            double l = OdeRegressionLoss.loss(x0, target, ts, frameSize, backward ? dX0 : null);
            if (backward) {
                for (int f = 0; f < frames; f++) {          // x0 = x_t − σ·v  ⇒  ∂L/∂v = −σ·∂L/∂x0
                    float k = (float) (-schedule.sigma(ts[f]) * scale);
                    for (int i = f * frameSize; i < (f + 1) * frameSize; i++) dFlow[i] = k * dX0[i];
                }
                train.backward(tape, dFlow, 0, grad, null, 0, null, 0, null);
            }
            return l;
        }
    }

    /** Mean regression loss over the first {@code n} trajectories with every block at stored point {@code point}. */
    double evalLoss(int n, int point) {
        int[] idx = new int[frames];
        Arrays.fill(idx, point);
        double s = 0;
        int m = Math.min(n, trajectories.count());
        RegressionWorker worker = workers[0];
        for (int j = 0; j < m; j++) {
            trajectories.copy(j, worker.entry);
            s += worker.regress(trajectories.caption(j), idx, 0, false);
        }
        return s / m;
    }

    @Override
    public TrainCheckpoint checkpoint(long stepsDone) {
        TrainCheckpoint ck = TrainCheckpoint.at(stepsDone).params(PART, params).optimizer(PART, adam).ema(PART, ema)
                .seed("train", o.seed());
        ck.meta().put("stage", "ode");
        ck.dit(cfg);
        return ck;
    }

    @Override
    public void restore(SavedCheckpoint ck) {
        ck.requireDit(cfg, "a student of");
        ck.restoreParams(PART, params);
        ck.restoreOptimizer(PART, adam);
        ck.restoreEma(PART, ema);
    }

    /** Writes {@code RUN/student/} with the EMA weights, and {@code RUN/ode_summary.json}. */
    @Override
    public Path export(long steps, double seconds) throws IOException {
        double[] raw = new double[points - 1];
        for (int p = 0; p < raw.length; p++) raw[p] = evalLoss(16, p);
        double[] smooth = new double[points - 1];
        Path dir = o.runDir().resolve("student");
        try (Ema.Averaged averaged = ema.averagedIn()) {
            for (int p = 0; p < smooth.length; p++) smooth[p] = evalLoss(16, p);
            ModelExport.withDit(o.teacher(), dir, student, "shapes-student-ode",
                    "causal student after ODE-trajectory regression (training stage 4a)");
        }
        ObjectNode sum = JSON.createObjectNode();
        sum.put("steps", steps);
        sum.put("seconds_this_run", seconds);
        var a = sum.putArray("regression_loss_by_point_ema");
        for (double v : smooth) a.add(v);
        var b = sum.putArray("regression_loss_by_point_raw");
        for (double v : raw) b.add(v);
        sum.put("pairs", o.pairs());
        sum.put("ode_steps", o.odeSteps());
        sum.put("guidance", o.guidance());
        sum.put("batch", o.batch());
        sum.put("lr", o.lr());
        RandomModel.writeJson(o.runDir().resolve("ode_summary.json"), sum);
        log.printf("x0 regression loss (first 16 trajectories) from each stored point %s: EMA %s, raw %s%n",
                Arrays.toString(denoising), Arrays.toString(round(smooth)), Arrays.toString(round(raw)));
        log.printf("wrote %s%n", dir);
        return dir;
    }

    private static double[] round(double[] v) {
        return Arrays.stream(v).map(x -> Math.round(x * 1e4) / 1e4).toArray();
    }

    @Override
    public void close() {
        par.close();
    }

    /**
     * The teacher's sampler: Euler steps on the flow ODE over the shifted schedule {@code σ(s)}, {@code s} from 1 to 0
     * in {@code steps} equal steps, velocity {@code v_u + g (v_c − v_u)} (conditional on the caption, unconditional on
     * ""), whole clip at once (bidirectional). Keeps the latent at steps {@code k·steps/keep} (k = 0..keep−1) and the
     * clean end.
     */
    static final class TeacherSampler {
        private final DitConfig c;
        private final FullSequenceDit dit;
        private final TextEncoder text;
        private final FlowMatchSchedule schedule;
        private final DitState st;
        private final int frames, h, w;
        private final float[] ctxC, ctxU, scratch, vc, vu, x, ts;

        TeacherSampler(DitWeights teacher, DitKernels dk, TextEncoder text, FlowMatchSchedule schedule, int frames, int h, int w) {
            this.c = teacher.config();
            this.dit = new FullSequenceDit(teacher, dk);
            this.text = text;
            this.schedule = schedule;
            this.frames = frames;
            this.h = h;
            this.w = w;
            this.st = new DitState(c, frames, c.frameSeqLen(h, w));
            int tl = c.textLen();
            ctxC = new float[tl * c.dim()];
            ctxU = new float[tl * c.dim()];
            scratch = new float[tl * Math.max(c.dim(), c.textDim())];
            int n = frames * c.inDim() * h * w;
            vc = new float[n];
            vu = new float[n];
            x = new float[n];
            ts = new float[frames];
            dit.embedPrompt(text.encode("").data(), tl, ctxU, scratch);
        }

        /** σ at Euler grid point {@code i} of {@code steps}: the shifted schedule at {@code s = 1 − i/steps}. */
        double sigma(int i, int steps) {
            double s = 1.0 - (double) i / steps, k = schedule.shift();
            return k * s / (1 + (k - 1) * s);
        }

        void sample(String caption, float[] noise, int steps, double guidance, int keep, float[] out, int outOff) {
            int n = x.length;
            System.arraycopy(noise, 0, x, 0, n);
            dit.embedPrompt(text.encode(caption).data(), c.textLen(), ctxC, scratch);
            int every = steps / keep;
            for (int i = 0; i < steps; i++) {
                if (i % every == 0) System.arraycopy(x, 0, out, outOff + (i / every) * n, n);
                double s0 = sigma(i, steps), s1 = sigma(i + 1, steps);
                Arrays.fill(ts, (float) (s0 * 1000));
                dit.forward(st, x, 0, frames, h, w, ts, ctxC, null, vc, 0);
                if (guidance != 1) dit.forward(st, x, 0, frames, h, w, ts, ctxU, null, vu, 0);
                float dt = (float) (s1 - s0), g = (float) guidance;
                for (int j = 0; j < n; j++) {
                    float v = guidance != 1 ? vu[j] + g * (vc[j] - vu[j]) : vc[j];
                    x[j] += dt * v;
                }
            }
            System.arraycopy(x, 0, out, outOff + keep * n, n);
        }
    }
}
