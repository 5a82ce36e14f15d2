// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IOmniRollup} from "./interfaces/IOmniRollup.sol";
import {MerkleLib} from "./MerkleLib.sol";

/// @title OmniPortal
/// @notice The L1 side of the OmniTensor L2 bridge for OMNIT. Deposits lock OMNIT here and are
///         credited on the L2 by derivation from `DepositInitiated`; withdrawals are released
///         from here against a Merkle proof into the withdrawal root of a final L2 output.
///         Formats: docs/spec.md §5.
/// @dev Withdrawal leaf: keccak(keccak(abi.encode(nonce, sender, l1Recipient, amount))), at
///      index `nonce` of a depth-32 tree (docs/spec.md section 1). Output root:
///      keccak(abi.encode(version = 0, stateRoot, withdrawalRoot, l2BlockHash)).
contract OmniPortal is Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice An L2 -> L1 withdrawal, as recorded in the L2 withdrawal tree.
    /// @param nonce Index of the withdrawal in the tree (unique, from 0).
    /// @param sender The L2 account that withdrew.
    /// @param l1Recipient Who receives the OMNIT on the L1.
    /// @param amount OMNIT amount in wei-units.
    struct Withdrawal {
        uint256 nonce;
        address sender;
        address l1Recipient;
        uint256 amount;
    }

    /// @notice The preimage of an output root.
    /// @param version Output root version; only 0 exists.
    /// @param stateRoot L2 state root.
    /// @param withdrawalRoot L2 withdrawal tree root.
    /// @param l2BlockHash L2 block hash.
    struct OutputRootProof {
        bytes32 version;
        bytes32 stateRoot;
        bytes32 withdrawalRoot;
        bytes32 l2BlockHash;
    }

    /// @notice Role tag of the guardian (pauses and unpauses).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice Depth of the withdrawal tree: proofs have exactly this many siblings.
    uint256 public constant WITHDRAWAL_TREE_DEPTH = 32;

    /// @notice The only output root version.
    bytes32 public constant OUTPUT_VERSION = bytes32(0);

    /// @notice The bridged token (OMNIT).
    IERC20 public immutable token;

    /// @notice The rollup contract whose outputs withdrawals are proven against.
    IOmniRollup public immutable rollup;

    /// @notice Seconds within which the sequencer must include a deposit on the L2, counted from
    ///         the deposit's L1 timestamp (a derivation rule, enforced off-chain).
    uint256 public immutable forcedInclusionWindow;

    /// @notice Seconds an output waits before withdrawals can be proven against it (the rollup's).
    uint256 public immutable finalizationPeriodSeconds;

    /// @notice The address allowed to pause and unpause.
    address public guardian;

    /// @notice Whether deposits and withdrawals are paused.
    bool public paused;

    /// @notice Nonce of the next deposit (= number of deposits so far).
    uint256 public depositNonce;

    mapping(uint256 word => uint256 bits) private _spent;

    /// @notice The caller lacks `role`.
    error Unauthorized(bytes32 role, address caller);
    /// @notice The portal is paused.
    error Paused();
    /// @notice A zero amount.
    error ZeroAmount();
    /// @notice A zero address where an account is required.
    error ZeroAddress();
    /// @notice No output at that index.
    error InvalidOutputIndex(uint256 outputIndex);
    /// @notice The output is not final yet; it is from `finalizesAt`.
    error NotFinalized(uint256 outputIndex, uint256 finalizesAt);
    /// @notice The withdrawal with this nonce has already been paid out.
    error AlreadyFinalized(uint256 nonce);
    /// @notice The output root proof does not hash to the stored output root.
    error InvalidOutputRootProof();
    /// @notice An output root version other than 0.
    error UnsupportedOutputVersion(bytes32 version);
    /// @notice The withdrawal's Merkle proof does not lead to the withdrawal root.
    error InvalidProof();

    /// @notice OMNIT was locked for `l2Recipient` on the L2.
    /// @param nonce The deposit's nonce (from 0, one per deposit).
    /// @param from The L1 account that paid.
    /// @param l2Recipient Who is credited on the L2.
    /// @param amount OMNIT amount in wei-units.
    /// @param l1Timestamp L1 time of the deposit (starts the forced-inclusion window).
    /// @param l1BlockNumber L1 block of the deposit.
    event DepositInitiated(
        uint256 indexed nonce,
        address indexed from,
        address indexed l2Recipient,
        uint256 amount,
        uint256 l1Timestamp,
        uint256 l1BlockNumber
    );

    /// @notice A withdrawal was proven and paid out.
    /// @param nonce The withdrawal's nonce.
    /// @param sender The L2 sender.
    /// @param l1Recipient The recipient.
    /// @param amount OMNIT amount in wei-units.
    /// @param outputIndex The output it was proven against.
    event WithdrawalFinalized(
        uint256 indexed nonce,
        address indexed sender,
        address indexed l1Recipient,
        uint256 amount,
        uint256 outputIndex
    );

    /// @notice The guardian paused or unpaused the portal.
    /// @param paused Whether the portal is now paused.
    /// @param guardian Who did it.
    event PauseChanged(bool paused, address indexed guardian);

    /// @notice The guardian changed.
    /// @param previous The previous guardian.
    /// @param guardian The new guardian.
    event GuardianTransferred(address indexed previous, address indexed guardian);

    /// @param token_ The OMNIT token.
    /// @param rollup_ The rollup contract (output oracle).
    /// @param initialOwner Owner: can replace the guardian.
    /// @param guardian_ The guardian.
    /// @param forcedInclusionWindow_ Forced-inclusion window in seconds.
    constructor(
        IERC20 token_,
        IOmniRollup rollup_,
        address initialOwner,
        address guardian_,
        uint256 forcedInclusionWindow_
    ) Ownable(initialOwner) {
        if (address(token_) == address(0) || address(rollup_) == address(0)) revert ZeroAddress();
        token = token_;
        rollup = rollup_;
        forcedInclusionWindow = forcedInclusionWindow_;
        finalizationPeriodSeconds = rollup_.finalizationPeriodSeconds();
        _setGuardian(guardian_);
    }

    modifier whenNotPaused() {
        if (paused) revert Paused();
        _;
    }

    modifier onlyGuardian() {
        if (msg.sender != guardian) revert Unauthorized(GUARDIAN_ROLE, msg.sender);
        _;
    }

    // ------------------------------------------------------------------ deposits

    /// @notice Lock `amount` OMNIT (approved beforehand) and credit `l2Recipient` on the L2.
    /// @param l2Recipient The L2 account to credit.
    /// @param amount OMNIT amount in wei-units.
    /// @return nonce The deposit's nonce.
    function depositOMNIT(address l2Recipient, uint256 amount)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 nonce)
    {
        return _deposit(l2Recipient, amount);
    }

    /// @notice `depositOMNIT` with an EIP-2612 permit instead of a prior approval.
    /// @dev A permit that fails (for example because someone front-ran it) is ignored when the
    ///      allowance is already sufficient, so the deposit cannot be griefed.
    /// @param l2Recipient The L2 account to credit.
    /// @param amount OMNIT amount in wei-units (also the permit's value).
    /// @param deadline Permit deadline.
    /// @param v Permit signature v.
    /// @param r Permit signature r.
    /// @param s Permit signature s.
    /// @return nonce The deposit's nonce.
    function depositOMNITWithPermit(
        address l2Recipient,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant whenNotPaused returns (uint256 nonce) {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {}
        catch {}
        return _deposit(l2Recipient, amount);
    }

    function _deposit(address l2Recipient, uint256 amount) private returns (uint256 nonce) {
        if (amount == 0) revert ZeroAmount();
        if (l2Recipient == address(0)) revert ZeroAddress();
        nonce = depositNonce++;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit DepositInitiated(nonce, msg.sender, l2Recipient, amount, block.timestamp, block.number);
    }

    // ------------------------------------------------------------------ withdrawals

    /// @notice Pay out withdrawal `w`, proven against the final output `outputIndex`.
    /// @param w The withdrawal.
    /// @param outputIndex Index of an output of the rollup that is past its finalization period.
    /// @param rootProof The preimage of that output's root.
    /// @param withdrawalProof 32 sibling hashes from the leaf up, leaf index = w.nonce.
    function finalizeWithdrawal(
        Withdrawal calldata w,
        uint256 outputIndex,
        OutputRootProof calldata rootProof,
        bytes32[] calldata withdrawalProof
    ) external nonReentrant whenNotPaused {
        if (w.amount == 0) revert ZeroAmount();
        if (w.l1Recipient == address(0)) revert ZeroAddress();
        if (isWithdrawalFinalized(w.nonce)) revert AlreadyFinalized(w.nonce);
        if (outputIndex >= rollup.outputCount()) revert InvalidOutputIndex(outputIndex);
        IOmniRollup.OutputProposal memory output = rollup.getOutput(outputIndex);
        uint256 finalizesAt = output.l1Timestamp + finalizationPeriodSeconds;
        if (block.timestamp < finalizesAt) revert NotFinalized(outputIndex, finalizesAt);

        if (rootProof.version != OUTPUT_VERSION) revert UnsupportedOutputVersion(rootProof.version);
        if (hashOutputRootProof(rootProof) != output.outputRoot) revert InvalidOutputRootProof();

        if (withdrawalProof.length != WITHDRAWAL_TREE_DEPTH) revert InvalidProof();
        bytes32 leaf = withdrawalLeaf(w);
        if (!MerkleLib.verifyCalldata(rootProof.withdrawalRoot, leaf, w.nonce, withdrawalProof)) {
            revert InvalidProof();
        }

        _spent[w.nonce >> 8] |= 1 << (w.nonce & 0xff);
        token.safeTransfer(w.l1Recipient, w.amount);
        emit WithdrawalFinalized(w.nonce, w.sender, w.l1Recipient, w.amount, outputIndex);
    }

    /// @notice Whether withdrawal `nonce` has been paid out.
    /// @param nonce The withdrawal nonce.
    function isWithdrawalFinalized(uint256 nonce) public view returns (bool) {
        return (_spent[nonce >> 8] >> (nonce & 0xff)) & 1 == 1;
    }

    /// @notice The withdrawal tree leaf of `w`: keccak(keccak(abi.encode(w))).
    /// @param w The withdrawal.
    function withdrawalLeaf(Withdrawal calldata w) public pure returns (bytes32) {
        return MerkleLib.leafHash(abi.encode(w.nonce, w.sender, w.l1Recipient, w.amount));
    }

    /// @notice The output root of a preimage: keccak(version ++ stateRoot ++ withdrawalRoot ++
    ///         l2BlockHash).
    /// @param p The preimage.
    function hashOutputRootProof(OutputRootProof calldata p) public pure returns (bytes32) {
        return keccak256(abi.encode(p.version, p.stateRoot, p.withdrawalRoot, p.l2BlockHash));
    }

    // ------------------------------------------------------------------ guardian

    /// @notice Stop deposits and withdrawals (guardian only).
    function pause() external onlyGuardian {
        paused = true;
        emit PauseChanged(true, msg.sender);
    }

    /// @notice Resume deposits and withdrawals (guardian only).
    function unpause() external onlyGuardian {
        paused = false;
        emit PauseChanged(false, msg.sender);
    }

    /// @notice Replace the guardian (owner only).
    /// @param account The new guardian.
    function setGuardian(address account) external onlyOwner {
        _setGuardian(account);
    }

    function _setGuardian(address account) private {
        if (account == address(0)) revert ZeroAddress();
        emit GuardianTransferred(guardian, account);
        guardian = account;
    }
}
