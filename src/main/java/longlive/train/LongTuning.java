package longlive.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitParams;
import longlive.dit.DitTraining;
import longlive.dit.DitWeights;
import longlive.io.WanDitCheckpoint;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.RandomModel;
import longlive.sampling.FlowMatchSchedule;
import longlive.stream.InferenceConfig;
import longlive.text.T5Kernels;
import longlive.text.TextEncoder;
import longlive.text.tokenizer.WorldCaptions;

/**
 * Training stage 5: LongLive's streaming long tuning ({@code longlive_train_long.yaml}, the trainer's streaming
 * mode). The generator (the DMD student) and the critic each get LoRA on every block Linear (q/k/v/o of both
 * attentions, ffn.0, ffn.2); only the LoRA factors train. A training sequence is rolled out chunk by chunk with the
 * KV cache carried over (detached): the first chunk of {@code judge} frames, then chunks of {@code chunkNew} new
 * frames, up to {@code chunks} chunks. Each chunk is judged by the teacher (real score, CFG) and the critic on the
 * last {@code judge} frames, with DMD loss only on its new frames; one random exit step per chunk carries the
 * gradient. One prompt switch per sequence at a random chunk start, with the KV-recache over the last window, as
 * at inference. Every chunk trains the critic; every {@code ratio}-th chunk first updates the generator.
 *
 * <p>One trainer step is one whole sequence, so checkpoints fall between sequences and a resumed run equals an
 * uninterrupted one. Output: {@code RUN/long/} (the student's model directory with the LoRA merged into the DiT)
 * and {@code RUN/long/lora.safetensors} (PEFT layout).
 */
public final class LongTuning implements Trainer.ExportingStage {
    static final String GENERATOR = "generator_lora", CRITIC = "critic_lora";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param critic   the critic's DiT weights to start from (stage 4b's {@code RUN/critic/model.safetensors}); null:
     *                 the teacher's
     * @param judge    frames of the judged window, also the first chunk's length (the reference: 21)
     * @param chunkNew new frames per later chunk (the reference: 18)
     * @param chunks   chunks per sequence (the reference grows a rollout to 240 frames: 1 + 12 chunks)
     * @param switchPrompt one prompt switch per sequence, with recache
     */
    public record Options(Path student, Path teacher, Path critic, Path runDir, int judge, int chunkNew, int chunks,
                          boolean switchPrompt, double guidance, int ratio, int loraRank, double loraAlpha,
                          double genLr, double criticLr, long steps, double gradClip, long seed, int threads) {
        public Options {
            if (judge < 3 || judge % 3 != 0 || chunkNew < 3 || chunkNew % 3 != 0 || chunkNew > judge)
                throw new IllegalArgumentException("--judge and --chunk must be multiples of 3 (the block size) with chunk <= judge, got "
                        + judge + " and " + chunkNew);
            if (chunks < 1 || (switchPrompt && chunks < 2))
                throw new IllegalArgumentException("--chunks must be >= 1 (>= 2 with a prompt switch), got " + chunks);
            if (ratio < 1 || threads < 1 || loraRank < 1 || !(loraAlpha > 0))
                throw new IllegalArgumentException("--ratio, --threads, --lora-rank must be >= 1 and --lora-alpha > 0");
            if (!(genLr > 0) || !(criticLr > 0) || !(gradClip > 0) || !(guidance >= 0))
                throw new IllegalArgumentException("bad learning rate / grad clip / guidance");
        }

        int sequenceFrames() {
            return judge + (chunks - 1) * chunkNew;
        }
    }

    private final Options o;
    private final PrintStream log;
    private final Parallel par;
    private final DitConfig cfg;
    private final int frameSize;
    private final TextEncoder text;
    private final List<String> captions;
    private final DitWeights gen, genGrad, critic, criticGrad;
    private final ParamSet genModel, criticModel;
    private final LoraAdapter genLora, criticLora;
    private final SelfForcingRollout rollout;
    private final DmdJudge judge;
    private final AdamW genAdam, criticAdam;
    private final float[] dX;
    private final boolean[] firstMask, laterMask;

    public LongTuning(Options o, PrintStream log) throws IOException {
        this.o = o;
        this.log = log;
        this.par = new Parallel(o.threads());
        Files.createDirectories(o.runDir());
        DistillationPair pair = DistillationPair.open(o.student(), o.teacher());
        ModelDirectory studentDir = pair.student(), teacherDir = pair.teacher();
        cfg = studentDir.dit();
        InferenceConfig inf = studentDir.inference();
        int h = studentDir.latentHeight(), w = studentDir.latentWidth();
        frameSize = cfg.inDim() * h * w;
        text = TextEncoder.load(studentDir.t5Weights(), studentDir.tokenizer(), cfg.textLen(), T5Kernels.fast(par), 4096);
        captions = WorldCaptions.sample(o.seed(), 1024);
        DitKernels dk = DitKernels.fast(par);
        gen = studentDir.loadDit(dk.matMul());
        genGrad = DitTraining.zerosLike(gen);
        DitWeights teacher = teacherDir.loadDit(dk.matMul());
        critic = o.critic() == null ? teacherDir.loadDit(dk.matMul()) : WanDitCheckpoint.load(o.critic(), cfg);
        criticGrad = DitTraining.zerosLike(critic);
        genModel = new ParamSet();
        DitParams.register(gen, genGrad, genModel::add);
        criticModel = new ParamSet();
        DitParams.register(critic, criticGrad, criticModel::add);
        var target = LoraAdapter.BLOCK_LINEARS.asMatchPredicate();
        genLora = new LoraAdapter(genModel, target, o.loraRank(), o.loraAlpha(), o.seed(), dk.matMul());
        criticLora = new LoraAdapter(criticModel, target, o.loraRank(), o.loraAlpha(), o.seed() + 1, dk.matMul());
        genAdam = new AdamW(genLora.params(), AdamWConfig.longLive());
        criticAdam = new AdamW(criticLora.params(), AdamWConfig.longLive());
        rollout = new SelfForcingRollout(gen, dk, inf, h, w, o.sequenceFrames(), o.judge() / 3);
        FlowMatchSchedule schedule = new FlowMatchSchedule(inf.timestepShift());
        judge = new DmdJudge(teacher, critic, criticGrad, dk, schedule, inf.timestepShift(), o.guidance(),
                text.encode("").data(), o.judge(), h, w);
        dX = new float[o.judge() * frameSize];
        firstMask = new boolean[o.judge()];
        Arrays.fill(firstMask, true);
        laterMask = new boolean[o.judge()];
        Arrays.fill(laterMask, o.judge() - o.chunkNew(), o.judge(), true);
        log.printf("long tuning: LoRA rank %d alpha %.0f on %d block linears (generator %s, critic %s trainable values); "
                        + "sequences of %d chunks (%d + %d x %d = %d latent frames, %dx%d), judged on the last %d frames, "
                        + "%s; window %s incl. sink %d; CFG %.1f; %d critic steps per generator step; lr %.2g / %.2g; %d threads%n",
                o.loraRank(), o.loraAlpha(), genLora.modules().size(), genLora.params().count(), criticLora.params().count(),
                o.chunks(), o.judge(), o.chunks() - 1, o.chunkNew(), o.sequenceFrames(), h, w, o.judge(),
                o.switchPrompt() ? "one prompt switch per sequence (recache)" : "no prompt switch",
                inf.globalAttention() ? "global" : String.valueOf(inf.localAttnSize()), inf.sinkSize(), o.guidance(), o.ratio(),
                o.genLr(), o.criticLr(), o.threads());
    }

    @Override
    public String name() {
        return "long";
    }

    private float[] prompt(long draw) {
        return text.encode(captions.get(StepRng.of(o.seed(), StepRng.DATA, draw).nextInt(captions.size()))).data();
    }

    /** The chunk (of the sequence) at whose start the prompt switches, or -1. */
    int switchChunk(long step) {
        return o.switchPrompt() ? 1 + StepRng.of(o.seed(), StepRng.DROPOUT, step).nextInt(o.chunks() - 1) : -1;
    }

    @Override
    public Trainer.StepResult step(long step) {
        float[] prompt = prompt(2 * step);
        int switchAt = switchChunk(step);
        rollout.begin(prompt);
        double dmdSum = 0, criticSum = 0, normSum = 0, lastNorm = 0;
        int genChunks = 0;
        for (int k = 0; k < o.chunks(); k++) {
            long chunk = step * o.chunks() + k;
            if (k == switchAt) {
                prompt = prompt(2 * step + 1);
                rollout.switchPrompt(prompt);
            }
            int fresh = k == 0 ? o.judge() : o.chunkNew();
            boolean genUpdate = chunk % o.ratio() == 0;
            int exit = TimestepSampler.exitSteps(StepRng.of(o.seed(), StepRng.EXIT_STEP, chunk), 1, rollout.denoisingSteps(), true, false)[0];
            rollout.generate(fresh / 3, exit, genUpdate, StepRng.of(o.seed(), StepRng.NOISE, chunk));
            int windowOff = (rollout.frames() - o.judge()) * frameSize;
            if (genUpdate) {
                genModel.zeroGrad();
                genLora.params().zeroGrad();
                dmdSum += judge.generatorGradient(rollout.sequence(), windowOff, prompt,
                        StepRng.of(o.seed(), StepRng.TIMESTEP, 2 * chunk), k == 0 ? firstMask : laterMask, dX);
                rollout.backward(dX, (o.judge() - fresh) * frameSize, genGrad);
                genLora.backward();
                double norm = genLora.params().clipGradNorm(o.gradClip());
                if (!Double.isFinite(norm)) throw new IllegalStateException("long step " + step + " chunk " + k + ": generator gradient norm " + norm);
                genAdam.step(o.genLr());
                genLora.apply();
                rollout.weightsChanged();
                normSum += norm;
                genChunks++;
            }
            criticModel.zeroGrad();
            criticLora.params().zeroGrad();
            criticSum += judge.criticLoss(rollout.sequence(), windowOff, prompt, StepRng.of(o.seed(), StepRng.TIMESTEP, 2 * chunk + 1), true);
            criticLora.backward();
            lastNorm = criticLora.params().clipGradNorm(o.gradClip());
            if (!Double.isFinite(lastNorm)) throw new IllegalStateException("long step " + step + " chunk " + k + ": critic gradient norm " + lastNorm);
            criticAdam.step(o.criticLr());
            criticLora.apply();
        }
        Map<String, Double> extra = genChunks == 0 ? Map.of()
                : Map.of("dmd", dmdSum / genChunks, "gen-norm", normSum / genChunks);
        return new Trainer.StepResult(criticSum / o.chunks(), lastNorm, o.genLr(), extra);
    }

    @Override
    public TrainCheckpoint checkpoint(long stepsDone) {
        TrainCheckpoint ck = TrainCheckpoint.at(stepsDone)
                .params(GENERATOR, genLora.params()).optimizer(GENERATOR, genAdam)
                .params(CRITIC, criticLora.params()).optimizer(CRITIC, criticAdam)
                .seed("train", o.seed());
        ck.meta().put("stage", "long");
        ck.dit(cfg);
        ck.meta().put("lora_rank", o.loraRank());
        return ck;
    }

    @Override
    public void restore(SavedCheckpoint ck) {
        ck.requireDit(cfg, "LoRA for");
        if (ck.meta().path("lora_rank").asInt() != o.loraRank())
            throw new IllegalArgumentException(ck.dir() + " holds LoRA of rank " + ck.meta().path("lora_rank").asInt()
                    + ", not " + o.loraRank());
        ck.restoreParams(GENERATOR, genLora.params());
        ck.restoreOptimizer(GENERATOR, genAdam);
        ck.restoreParams(CRITIC, criticLora.params());
        ck.restoreOptimizer(CRITIC, criticAdam);
        genLora.apply();
        criticLora.apply();
    }

    /** Writes {@code RUN/long/} (LoRA merged) with {@code lora.safetensors}, and {@code RUN/long_summary.json}. */
    @Override
    public Path export(long steps, double seconds) throws IOException {
        Path dir = o.runDir().resolve("long");
        genLora.apply();
        ModelExport.withDit(o.student(), dir, gen, "shapes-student-long",
                "causal student after streaming long tuning (training stage 5), LoRA merged into the DiT");
        genLora.exportPeft(dir.resolve("lora.safetensors"));
        ObjectNode sum = JSON.createObjectNode();
        sum.put("steps", steps);
        sum.put("seconds_this_run", seconds);
        sum.put("sequence_frames", o.sequenceFrames());
        sum.put("judge", o.judge());
        sum.put("chunk", o.chunkNew());
        sum.put("lora_rank", o.loraRank());
        sum.put("lora_alpha", o.loraAlpha());
        sum.put("generator_lr", o.genLr());
        sum.put("critic_lr", o.criticLr());
        RandomModel.writeJson(o.runDir().resolve("long_summary.json"), sum);
        log.printf("wrote %s%n", dir);
        return dir;
    }

    /** The generator's LoRA (tests). */
    LoraAdapter generatorLora() {
        return genLora;
    }

    @Override
    public void close() {
        par.close();
    }
}
