"""PyTorch twins of the lucid modules that ``torch.nn`` does not have.

``torch.nn`` has no ``ConvBNReLU2d``, no ``ResNet`` and no ``DigitsCNN``: their
``forward`` is lucid code. For each of them this module holds the same ``forward``
written with torch operations, line for line (read each beside the lucid class it
names). :func:`lucid.interop.to_torch` builds a ``torch.nn.Module`` subclass per lucid
class from it (a *twin*: same name, same sub-modules, parameters, buffers and
attributes), and :func:`lucid.interop.from_torch` turns a twin back into the lucid
class.

The functions are defined inside :func:`forwards`, which receives the imported
``torch``, so importing lucid never imports PyTorch.
"""
import math

__all__ = ["forwards"]


def forwards(torch):
    """``{lucid class: {method name: function}}`` for every lucid-only module."""
    from lucid import nn
    from lucid.demo import DigitsCNN
    from lucid.einops._pattern import parse_pattern
    from lucid.einops._recipe import make_recipe
    from lucid.models import (AlexNet, BasicBlock, InvertedResidual, LeNet5, MobileNetV2,
                              PositionalEncoding, ResNet, Seq2SeqTransformer, VGG,
                              ViTEncoder, ViTEncoderBlock, VisionTransformer)

    F = torch.nn.functional

    # ------------------------------------------------------------ lucid.nn layers
    def conv_bn_relu(self, x):
        return self.relu(self.bn(self.conv(x)))

    def depth_separable(self, x):
        return self.pointwise(self.depthwise(x))

    def spatial_mean(x):
        return x.mean(dim=tuple(range(2, x.ndim)))

    def se_module(self, x):
        gate = self.sigmoid(self.fc2(self.relu(self.fc1(spatial_mean(x)))))      # (N, C)
        return x * gate.reshape(gate.shape + (1,) * (x.ndim - 2))

    def selective_kernel(self, x):
        u = torch.stack([branch(x) for branch in self.branches], dim=1)      # (N, M, C, H, W)
        z = self.relu(self.fc_bn(self.fc(spatial_mean(u.sum(dim=1)))))
        n, m, c = u.shape[0], u.shape[1], u.shape[2]
        logits = self.select(z).reshape(n, m, c)
        a = F.softmax(logits, dim=1).reshape(n, m, c, 1, 1)
        return (a * u).sum(dim=1)

    def global_response_norm(self, x):
        n, c, h, w = x.shape
        g = torch.linalg.vector_norm(x.reshape(n, c, h * w), ord=2, dim=2, keepdim=True)
        g = g.reshape(n, c, 1, 1)
        norm = g / (g.mean(dim=1, keepdim=True) + self.eps)
        return self.gamma.reshape(1, c, 1, 1) * (x * norm) + self.beta.reshape(1, c, 1, 1) + x

    def residual_block(self, x):                        # MBConv, FusedMBConv
        out = self.residual(x)
        if not self.use_shortcut:
            return out
        return (x if self.shortcut is None else self.shortcut(x)) + self.drop_path(out)

    def split_attention(self, x):
        n, r, c, k = x.shape[0], self.radix, self.channels, self.groups
        u = self.relu(self.bn0(self.conv(x)))
        splits = u.reshape(n, r, c, u.shape[2], u.shape[3])
        s = splits.sum(dim=1).mean(dim=(2, 3), keepdim=True)                 # (N, C, 1, 1)
        logits = self.fc2(self.relu(self.bn1(self.fc1(s))))                 # (N, rC, 1, 1)
        if r > 1:   # fc2's channels run (group, split, channel): softmax over the splits
            alpha = F.softmax(logits.reshape(n, k, r, c // k), dim=2).transpose(1, 2)
        else:
            alpha = torch.sigmoid(logits)
        return (alpha.reshape(n, r, c, 1, 1) * splits).sum(dim=1)

    def layer_scale(self, x):
        shape = [1] * x.ndim
        shape[self.axis % x.ndim] = self.channels
        return x * self.gamma.reshape(shape)

    def layer_norm_2d(self, x):
        y = F.layer_norm(x.permute(0, 2, 3, 1), (self.num_channels,), self.weight, self.bias,
                         self.eps)
        return y.permute(0, 3, 1, 2)

    def scaled_dot_product_attention(self, query, key, value, attn_mask=None):
        mask = self.attn_mask if attn_mask is None else attn_mask
        p = self.dropout_p if self.training else 0.0
        return F.scaled_dot_product_attention(query, key, value, attn_mask=mask, dropout_p=p,
                                              is_causal=self.is_causal, scale=self.scale)

    def drop_path(self, x):
        p = self.drop_prob
        if not self.training or p == 0:
            return x
        keep = (torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), device=x.device) >= p)
        scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
        return x * (keep.to(x.dtype) * scale)

    def drop_block(self, x):
        p, k = self.p, self.block_size
        h, w = x.shape[2:]
        if not self.training or p == 0:
            return x
        gamma = min(p / (k * k) * (h * w) / ((h - k + 1) * (w - k + 1)), 1.0)
        corners = torch.rand(x.shape[:2] + (h - k + 1, w - k + 1), device=x.device) < gamma
        dropped = torch.zeros(x.shape, dtype=torch.bool, device=x.device)
        for di in range(k):                      # spread each corner over its k x k block
            for dj in range(k):
                dropped[:, :, di:di + h - k + 1, dj:dj + w - k + 1] |= corners
        mask = (~dropped).to(x.dtype)
        kept = mask.sum()
        scale = mask.numel() / kept if kept else 0.0
        return x * (mask * scale)

    def multi_head_attention(self, query, key, value, key_padding_mask=None, attn_mask=None,
                             is_causal=False, need_weights=False, average_attn_weights=True):
        # the original lucid's layer: batch first by default, the output alone unless
        # need_weights; the same computation as torch.nn.MultiheadAttention's
        batched = query.dim() == 3
        if batched and self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight if separate else None,
            k_proj_weight=self.k_proj_weight if separate else None,
            v_proj_weight=self.v_proj_weight if separate else None,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if batched and self.batch_first:
            out = out.transpose(0, 1)
        return (out, weights) if need_weights else out

    def rearrange(self, x):
        recipe = make_recipe(parse_pattern(self.pattern), "Rearrange", tuple(x.shape),
                             self.axes_lengths)
        y = x.reshape(recipe.elementary_shape).permute(recipe.permutation)
        return y.reshape(recipe.final_shape)

    def windows_attend(self, x, qkv, scores, bias_table):
        # lucid.nn.WindowAttention.forward and _attend, with the version's three parts
        from lucid.nn.modules.window_attention import shift_mask
        n, h, w, c = x.shape
        (wh, ww), (sh, sw) = self.window_size, self.shift_size
        pad_b, pad_r = -h % wh, -w % ww
        x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        H, W = h + pad_b, w + pad_r
        sh, sw = (0 if wh >= H else sh), (0 if ww >= W else sw)
        if sh or sw:
            x = torch.roll(x, (-sh, -sw), dims=(1, 2))
        a, b, t = H // wh, W // ww, wh * ww
        windows = x.reshape(n, a, wh, b, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, t, c)
        q, k, v = qkv(windows).reshape(-1, t, 3, self.num_heads, c // self.num_heads) \
            .permute(2, 0, 3, 1, 4)
        bias = bias_table()[self.relative_position_index.reshape(-1)].reshape(t, t, -1)
        s = scores(q, k) + bias.permute(2, 0, 1)
        if sh or sw:
            mask = torch.from_numpy(shift_mask((H, W), (wh, ww), (sh, sw))).to(s.dtype)
            s = (s.reshape(n, a * b, -1, t, t) + mask.reshape(1, a * b, 1, t, t)) \
                .reshape(-1, self.num_heads, t, t)
        attn = self.attn_drop(F.softmax(s, dim=-1))
        out = self.proj_drop(self.proj((attn @ v).transpose(1, 2).reshape(-1, t, c)))
        x = out.reshape(n, a, b, wh, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(n, H, W, c)
        if sh or sw:
            x = torch.roll(x, (sh, sw), dims=(1, 2))
        return x[:, :h, :w]

    def window_attention(self, x):
        scale = (self.dim // self.num_heads) ** -0.5
        return windows_attend(self, x, self.qkv, lambda q, k: (q * scale) @ k.transpose(-2, -1),
                              lambda: self.relative_position_bias_table)

    def grid_attention(self, x):
        # lucid.nn.GridAttention: interleave rows and columns, window attention, back
        n, h, w, c = x.shape
        (gh, gw) = self.window_size
        x = x.reshape(n, gh, h // gh, gw, w // gw, c).permute(0, 2, 1, 4, 3, 5)
        y = window_attention(self, x.reshape(n, h, w, c))
        y = y.reshape(n, h // gh, gh, w // gw, gw, c).permute(0, 2, 1, 4, 3, 5)
        return y.reshape(n, h, w, c)

    def cosine_window_attention(self, x):
        def qkv(windows):
            if self.q_bias is None:
                return self.qkv(windows)
            bias = torch.cat([self.q_bias, torch.zeros_like(self.q_bias), self.v_bias])
            return F.linear(windows, self.qkv.weight, bias)

        def scores(q, k):
            scale = torch.clamp(self.logit_scale, max=math.log(100.0)).exp()
            return (F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)) * scale

        def bias_table():
            table = self.cpb_mlp(self.relative_coords_table.to(self.logit_scale.dtype))
            return 16 * torch.sigmoid(table.reshape(-1, self.num_heads))

        return windows_attend(self, x, qkv, scores, bias_table)

    def relative_attention(self, x):
        # lucid.nn.RelativeAttention.forward: one window, the whole map, in_dim -> dim
        n, h, w, _ = x.shape
        t, heads = h * w, self.num_heads
        q, k, v = self.qkv(x.reshape(n, t, -1)).reshape(n, t, 3, heads, -1) \
            .permute(2, 0, 3, 1, 4)
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)]
        scores = (q * (self.dim // heads) ** -0.5) @ k.transpose(-2, -1) \
            + bias.reshape(t, t, heads).permute(2, 0, 1)
        attn = self.attn_drop(F.softmax(scores, dim=-1))
        out = self.proj_drop(self.proj((attn @ v).transpose(1, 2).reshape(n, t, self.dim)))
        return out.reshape(n, h, w, self.dim)

    def spatial_reduction_attention(self, x, size=None):
        if x.dim() == 4:
            n, h, w, c = x.shape
            return spatial_reduction_attention(self, x.reshape(n, h * w, c), (h, w)) \
                .reshape(n, h, w, c)
        n, length, c = x.shape
        heads, source = self.num_heads, x
        if self.sr is not None:
            h, w = size
            grid = x.transpose(1, 2).reshape(n, c, h, w)
            if self.pool is not None:
                grid = self.pool(grid)
            source = self.norm(self.sr(grid).flatten(2).transpose(1, 2))
            if self.act is not None:
                source = self.act(source)
        q = self.q(x).reshape(n, length, heads, -1).transpose(1, 2)
        k, v = self.kv(source).reshape(n, -1, 2, heads, c // heads).permute(2, 0, 3, 1, 4)
        scores = (q * (c // heads) ** -0.5) @ k.transpose(-2, -1)
        attn = self.attn_drop(F.softmax(scores, dim=-1))
        return self.proj_drop(self.proj((attn @ v).transpose(1, 2).reshape(n, length, c)))

    def conv_token_embedding(self, x):
        return self.norm(self.proj(x).permute(0, 2, 3, 1))

    def conv_projection_attention(self, x, size=None):
        if x.dim() == 4:
            n, h, w, c = x.shape
            return conv_projection_attention(self, x.reshape(n, h * w, c), (h, w)) \
                .reshape(n, h, w, c)
        n, _, c = x.shape
        cls = int(self.with_cls_token)
        h, w = size
        grid = x[:, cls:].transpose(1, 2).reshape(n, c, h, w)

        def project(conv, linear):
            tokens = conv(grid).flatten(2).transpose(1, 2)
            if cls:
                tokens = torch.cat([x[:, :1], tokens], dim=1)
            return linear(tokens).reshape(n, tokens.shape[1], self.num_heads, -1).transpose(1, 2)

        q = project(self.conv_proj_q, self.proj_q)
        k = project(self.conv_proj_k, self.proj_k)
        v = project(self.conv_proj_v, self.proj_v)
        attn = self.attn_drop(F.softmax((q @ k.transpose(-2, -1)) * self.dim ** -0.5, dim=-1))
        return self.proj_drop(self.proj((attn @ v).transpose(1, 2).reshape(n, -1, c)))

    def cross_branch_attention(self, x, other):
        n, c = x.shape[0], self.other_dim
        cls = self.project_in(x[:, :1])
        z = self.norm(torch.cat([cls, other[:, 1:]], dim=1))
        q = self.q(z[:, :1]).reshape(n, 1, self.num_heads, -1).transpose(1, 2)
        k = self.k(z).reshape(n, z.shape[1], self.num_heads, -1).transpose(1, 2)
        v = self.v(z).reshape(n, z.shape[1], self.num_heads, -1).transpose(1, 2)
        scores = (q * (c // self.num_heads) ** -0.5) @ k.transpose(-2, -1)
        attn = self.attn_drop(F.softmax(scores, dim=-1))
        cls = cls + self.drop_path(self.proj_drop(self.proj((attn @ v).transpose(1, 2)
                                                             .reshape(n, 1, c))))
        return torch.cat([self.project_out(cls), x[:, 1:]], dim=1)

    # ------------------------------------------------------------- lucid.models
    def classifier_net(self, x):                        # AlexNet, VGG, MobileNetV2
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))

    def lenet_5(self, x):
        x = self.pool(self.act(self.conv1(x)))
        x = self.pool(self.act(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.fc3(x)

    def basic_block(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)

    def resnet_(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def vit_block(self, x):
        y = self.ln_1(x)
        y = self.self_attention(y, y, y, need_weights=False)[0]
        x = x + self.drop_path(self.dropout(y))
        return x + self.drop_path(self.mlp(self.ln_2(x)))

    def vit_encoder(self, x):
        return self.ln(self.layers(self.dropout(x + self.pos_embedding)))

    def vision_transformer(self, x):
        tokens = self.conv_proj(x).flatten(2).transpose(1, 2)    # n d h w -> n (h w) d
        cls = self.class_token.expand(tokens.shape[0], 1, self.hidden_dim)
        z = self.encoder(torch.cat([cls, tokens], dim=1))
        return self.heads(z[:, 0])

    def positional_encoding(self, x):
        return self.dropout(x + self.pe[:x.shape[1]].to(x.dtype))

    def embed(self, embedding, tokens):
        return self.positional_encoding(embedding(tokens) * math.sqrt(self.d_model))

    def encode(self, src, src_mask=None, src_key_padding_mask=None):
        return self.transformer.encoder(self._embed(self.src_embedding, src), mask=src_mask,
                                        src_key_padding_mask=src_key_padding_mask)

    def decode(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
               memory_key_padding_mask=None):
        out = self.transformer.decoder(self._embed(self.tgt_embedding, tgt), memory,
                                       tgt_mask=tgt_mask, memory_mask=memory_mask,
                                       tgt_key_padding_mask=tgt_key_padding_mask,
                                       memory_key_padding_mask=memory_key_padding_mask)
        return self.generator(out)

    def seq2seq(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None):
        out = self.transformer(self._embed(self.src_embedding, src),
                               self._embed(self.tgt_embedding, tgt), src_mask=src_mask,
                               tgt_mask=tgt_mask, memory_mask=memory_mask,
                               src_key_padding_mask=src_key_padding_mask,
                               tgt_key_padding_mask=tgt_key_padding_mask,
                               memory_key_padding_mask=memory_key_padding_mask)
        return self.generator(out)

    def digits_cnn(self, x):
        h = self.features(x)
        return self.classifier(h.reshape(h.shape[0], -1))

    table = {
        nn.ScaledDotProductAttention: scaled_dot_product_attention,
        nn.MultiHeadAttention: multi_head_attention,
        nn.GlobalResponseNorm: global_response_norm,
        nn.DropPath: drop_path, nn.DropBlock: drop_block, nn.Rearrange: rearrange,
        nn.SEModule: se_module, nn.SelectiveKernel: selective_kernel,
        nn.MBConv: residual_block, nn.FusedMBConv: residual_block,
        nn.SplitAttention: split_attention, nn.LayerScale: layer_scale,
        nn.LayerNorm2d: layer_norm_2d,
        nn.WindowAttention: window_attention, nn.CosineWindowAttention: cosine_window_attention,
        nn.GridAttention: grid_attention,
        nn.RelativeAttention: relative_attention,
        nn.SpatialReductionAttention: spatial_reduction_attention,
        nn.ConvTokenEmbedding: conv_token_embedding,
        nn.ConvProjectionAttention: conv_projection_attention,
        nn.CrossBranchAttention: cross_branch_attention,
        nn.ConvBNReLU1d: conv_bn_relu, nn.ConvBNReLU2d: conv_bn_relu,
        nn.ConvBNReLU3d: conv_bn_relu, nn.DepthSeparableConv1d: depth_separable,
        nn.DepthSeparableConv2d: depth_separable, nn.DepthSeparableConv3d: depth_separable,
        LeNet5: lenet_5, AlexNet: classifier_net, VGG: classifier_net,
        BasicBlock: basic_block, ResNet: resnet_,
        InvertedResidual: residual_block, MobileNetV2: classifier_net,
        ViTEncoderBlock: vit_block, ViTEncoder: vit_encoder,
        VisionTransformer: vision_transformer, PositionalEncoding: positional_encoding,
        DigitsCNN: digits_cnn,
    }
    found = {cls: {"forward": fn} for cls, fn in table.items()}
    def causal_mask(size):
        return torch.nn.Transformer.generate_square_subsequent_mask(size)

    found[Seq2SeqTransformer] = {"forward": seq2seq, "encode": encode,
                                             "decode": decode, "_embed": embed,
                                             "causal_mask": staticmethod(causal_mask)}
    return found
