// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IOmniRollup
/// @notice The output-oracle view of the OmniTensor rollup contract, as the portal and other
///         L1 contracts use it.
interface IOmniRollup {
    /// @notice One proposed L2 output.
    /// @param outputRoot keccak(u256(0) ++ stateRoot ++ withdrawalRoot ++ l2BlockHash).
    /// @param l2BlockNumber The L2 block the output describes.
    /// @param l1Timestamp The L1 time at which it was proposed.
    struct OutputProposal {
        bytes32 outputRoot;
        uint64 l2BlockNumber;
        uint64 l1Timestamp;
    }

    /// @notice Seconds an output must wait after its proposal before it is final.
    function finalizationPeriodSeconds() external view returns (uint256);

    /// @notice Number of outputs currently stored (deleted outputs are not counted).
    function outputCount() external view returns (uint256);

    /// @notice The output at `outputIndex`; reverts InvalidOutputIndex if there is none.
    function getOutput(uint256 outputIndex) external view returns (OutputProposal memory);

    /// @notice Whether the output at `outputIndex` is past its finalization period.
    function isOutputFinalized(uint256 outputIndex) external view returns (bool);
}
